"""Household phones, stored normalized by the registry build.

The link index needs every household's phones; reading them from the registry's raw rows meant
parsing 100,000 phone cells on every cold start (1.9 s of a 10 s index load at 100,000
households).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("households", sa.Column("phones", JSONB(), nullable=False,
                                          server_default=sa.text("'[]'::jsonb")))


def downgrade() -> None:
    op.drop_column("households", "phones")
