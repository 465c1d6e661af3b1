"""Record linkage: normalizing partner values into comparable keys, then matching them."""
