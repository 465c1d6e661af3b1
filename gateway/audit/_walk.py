"""Walk rows in seq order and name the first one that breaks the chain, and why."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.audit._chain import GENESIS, AuditRow


@dataclass(frozen=True, slots=True)
class Broken:
    """The first row at which the chain does not hold.

    `reason`: `missing` (rows deleted: `seq` is the first absent one), `inserted` (a row that
    repeats or precedes a number already walked, or lies past the chain head), `prev_mismatch`
    (the row does not follow its predecessor: forged, or the predecessor was rewritten
    together with its hash), `hash_mismatch` (the content was edited), `head_mismatch`,
    `anchor_mismatch`, `segment_file`, `manifest_mismatch`, `head_missing`.
    """

    seq: int
    reason: str
    detail: str
    where: str = "live"  # the live table, or an archive segment's file name


def span(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first}–{last}"


class ChainWalker:
    """Checks rows fed in seq order; remembers where the chain stands after the last good row."""

    def __init__(self, after_seq: int = 0, prev_hash: str = GENESIS) -> None:
        self.last_seq = after_seq
        self.last_hash = prev_hash
        self.rows = 0

    def step(self, row: AuditRow, where: str = "live") -> Broken | None:
        expected = self.last_seq + 1
        if row.seq > expected:
            return Broken(expected, "missing",
                          f"{span(expected, row.seq - 1)} deleted: the chain resumes at {row.seq}",
                          where)
        if row.seq < expected:
            return Broken(row.seq, "inserted", f"seq {row.seq} comes again after {self.last_seq}",
                          where)
        if row.prev_hash != self.last_hash:
            return Broken(row.seq, "prev_mismatch",
                          f"its prev_hash is not row {self.last_seq}'s hash: the row was forged "
                          f"or inserted, or row {self.last_seq} was rewritten with a new hash",
                          where)
        if row.expected_hash() != row.hash:
            return Broken(row.seq, "hash_mismatch",
                          "its content does not give its hash: the row was edited or forged", where)
        self.last_seq, self.last_hash = row.seq, row.hash
        self.rows += 1
        return None
