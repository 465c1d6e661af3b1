"""Index responsibilities by community and target level.

The top of every household's responsibility chain asks for the branch-level records of its
community; without this index that read scanned every responsibility record (36.7 ms at
100,000 households, the largest part of the household-360 latency at that size).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_source_records_place_level", "source_records",
        ["entity", sa.literal_column("(attrs->>'community')"),
         sa.literal_column("(attrs->>'targetLevel')")],
    )


def downgrade() -> None:
    op.drop_index("ix_source_records_place_level", table_name="source_records")
