"""A quantity on facts: what a property fact measures (an occupancy's months in arrears, a
ballot's share of floor area in m²), which the brief's property section sums.

Revision ID: 0012
Revises: 0011 (0011_partner_definitions)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("facts", sa.Column("quantity", sa.Numeric(), nullable=True))


def downgrade() -> None:
    op.drop_column("facts", "quantity")
