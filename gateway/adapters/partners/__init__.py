"""One small module per partner: its slug, its wire quirks, and its value maps."""
