"""Pull each partner's records into the store, then link them to persons and households.

`runner` walks each partner's feed from its cursors under a per-partner lock; `batch` stores one
batch, its quarantined rows and its cursor in one transaction; `machines` are the status
machines a synced change must respect; `quarantine` is what an operator does with the rows the
sync could not store (docs/resilience.md).
"""

from gateway.sync.runner import SyncReport, sync_all, sync_partner

__all__ = ["SyncReport", "sync_all", "sync_partner"]
