"""Pull each partner's records into the store, then link them to persons and households."""

from gateway.sync.runner import SyncReport, sync_all, sync_partner

__all__ = ["SyncReport", "sync_all", "sync_partner"]
