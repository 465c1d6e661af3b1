"""The audit log: every read of personal data, appended to a hash chain before it is served.

    append(pool, AuditEntry(...)) -> AuditRecord     one round trip, committed, or AuditUnavailable
    verify(uri or pool, archive=...) -> VerifyResult names the first broken row and why
    archive(pool, older_than=..., folder=...)        retention: rows move to verifiable segments
    export_household(uri or pool, key) -> [Access]   one household's access history

See docs/audit.md.
"""

from gateway.audit._append import AuditRecord, append
from gateway.audit._archive import Archived, ChainBroken, archive
from gateway.audit._chain import GENESIS, AuditEntry, AuditRow
from gateway.audit._export import Access, export_household, household_key
from gateway.audit._verify import VerifyResult, verify
from gateway.audit._walk import Broken

__all__ = [
    "GENESIS",
    "Access",
    "Archived",
    "AuditEntry",
    "AuditRecord",
    "AuditRow",
    "Broken",
    "ChainBroken",
    "VerifyResult",
    "append",
    "archive",
    "export_household",
    "household_key",
    "verify",
]
