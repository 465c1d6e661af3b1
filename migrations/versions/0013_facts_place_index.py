"""The property facts of a compound, found by the compound's name: the brief's 四位一体 section
reads them as one index range instead of every fact of the community.

Revision ID: 0013
Revises: 0012 (0012_facts_quantity)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PROPERTY = "kind IN ('repair', 'occupancy', 'vote')"


def upgrade() -> None:
    op.create_index("ix_facts_place", "facts", ["place", "kind"],
                    postgresql_where=sa.text(_PROPERTY))


def downgrade() -> None:
    op.drop_index("ix_facts_place", table_name="facts")
