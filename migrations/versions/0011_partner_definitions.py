"""Partner definitions: bodies onboarded from a definition file (docs/onboarding.md).

One row per version of a body's definition: its slug, the body's name, the version (1, 2, … per
slug), whether it is enabled, the file's text as it was added, and when. The newest version of
a slug is the one in force; every gateway process polls the (slug, version, enabled) stamp and
swaps its adapters when it changes. Older versions stay, for `gateway partner show --version`.

Revision ID: 0011
Revises: 0010 (0010_subscription_events)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_definitions",
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("slug", "version", name="pk_partner_definitions"),
    )


def downgrade() -> None:
    op.drop_table("partner_definitions")
