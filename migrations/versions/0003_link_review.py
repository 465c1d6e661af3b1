"""Incremental linkage and human review.

- `source_records.link_pending`: set when a sync inserts a record or changes its identifying
  attributes, cleared when linkage has decided it; linkage after a sync reads only these.
- `links.impact`, `links.decided_at`: the review queue is ordered by impact; human decisions
  carry who (`decided_by`) and when.
- `households.merged_into`, `persons.household_fixed`: merges and splits made by people survive
  the registry rebuild that every sync runs.
- `link_decisions`: the append-only log of every human decision.
- `link_models`: the match weights each batch run learned (incremental runs reuse the last).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_records", sa.Column("link_pending", sa.Boolean(), nullable=False,
                                              server_default=sa.true()))
    op.create_index("ix_source_records_link_pending", "source_records", ["id"],
                    postgresql_where=sa.text("link_pending"))
    op.add_column("links", sa.Column("impact", sa.Float()))
    op.add_column("links", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.create_index("ix_links_review", "links",
                    [sa.literal_column("impact DESC"), "source_record_id"],
                    postgresql_where=sa.text("status = 'needs_review'"))
    op.add_column("households", sa.Column("merged_into", sa.BigInteger(),
                                          sa.ForeignKey("households.id")))
    op.add_column("persons", sa.Column("household_fixed", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.create_table(
        "link_decisions",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("officer", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", JSONB(), nullable=False),
        sa.Column("note", sa.Text()),
    )


    op.create_table(
        "link_models",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("model", JSONB(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_models")
    op.drop_table("link_decisions")
    op.drop_column("persons", "household_fixed")
    op.drop_column("households", "merged_into")
    op.drop_index("ix_links_review", table_name="links")
    op.drop_column("links", "decided_at")
    op.drop_column("links", "impact")
    op.drop_index("ix_source_records_link_pending", table_name="source_records")
    op.drop_column("source_records", "link_pending")
