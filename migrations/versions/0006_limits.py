"""Trusted documents and rate-limit counters (gateway/limits/, docs/limits.md).

- `trusted_documents`: the documents production clients may run, by the sha256 of their text,
  registered from a manifest with `gateway documents add`.
- `rate_counters`: fixed-window request counts per agency, shared by every gateway process
  (UNLOGGED: a crash forgets at most one window's counts). Unused when REDIS_URL is set.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_documents",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_documents")),
        sa.CheckConstraint("id ~ '^[0-9a-f]{64}$'", name=op.f("ck_trusted_documents_sha256")),
    )
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_counters")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_table("trusted_documents")
