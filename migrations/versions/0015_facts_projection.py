"""Which projection the facts were made with, so that a gateway upgraded to a new one projects
the stored records again by itself at its next sync (gateway/views/snapshots.py
`ensure_projection`) instead of waiting for an operator's `gateway views rebuild`.

NULL on an existing store: its facts were made by an earlier projection.

Revision ID: 0015
Revises: 0014 (0014_durable_events)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("facts_version", sa.Column("projection", sa.Text()))


def downgrade() -> None:
    op.drop_column("facts_version", "projection")
