"""Quarantine replay and resolution; the status a record was synced in.

A quarantined row now says which record it is about (`local_id`), and how it was resolved:
replayed by an operator (with the corrected content, `fixed`), superseded by a later good version
from the partner, or dismissed — never just deleted. A row is one problem in one content
(`digest`, the md5 of `raw`): the same content read again with the same problem is the same row
— NULL lines (a feed's records) count as equal — and a changed content is a new row.

`source_records.status` keeps the unified status of the last sync, so the next one can check a
change against the entity's status machine.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_records", sa.Column("status", sa.Text()))
    op.add_column("quarantine", sa.Column("local_id", sa.Text()))
    op.add_column("quarantine", sa.Column("status", sa.Text(), server_default="open",
                                          nullable=False))
    op.add_column("quarantine", sa.Column("resolved_by", sa.Text()))
    op.add_column("quarantine", sa.Column("note", sa.Text()))
    op.add_column("quarantine", sa.Column("fixed", sa.Text()))
    op.add_column("quarantine", sa.Column("digest", sa.Text()))
    op.execute("UPDATE quarantine SET digest = md5(raw), status = CASE WHEN resolved_at IS NULL "
               "THEN 'open' ELSE 'dismissed' END")
    op.alter_column("quarantine", "digest", nullable=False)
    op.create_check_constraint(
        op.f("ck_quarantine_status"), "quarantine",
        "status IN ('open', 'replayed', 'superseded', 'dismissed')")
    op.create_check_constraint(op.f("ck_quarantine_resolved"), "quarantine",
                               "(status = 'open') = (resolved_at IS NULL)")
    op.drop_constraint("uq_quarantine_row", "quarantine", type_="unique")
    op.create_unique_constraint("uq_quarantine_row", "quarantine",
                                ["partner", "entity", "origin", "line", "reason", "digest"],
                                postgresql_nulls_not_distinct=True)
    op.create_index("ix_quarantine_open", "quarantine", ["partner", "entity", "local_id"],
                    postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index("ix_quarantine_open", table_name="quarantine")
    op.drop_constraint("uq_quarantine_row", "quarantine", type_="unique")
    op.create_unique_constraint("uq_quarantine_row", "quarantine",
                                ["partner", "entity", "origin", "line", "reason"])
    op.drop_constraint(op.f("ck_quarantine_resolved"), "quarantine", type_="check")
    op.drop_constraint(op.f("ck_quarantine_status"), "quarantine", type_="check")
    for column in ("digest", "fixed", "note", "resolved_by", "status", "local_id"):
        op.drop_column("quarantine", column)
    op.drop_column("source_records", "status")
