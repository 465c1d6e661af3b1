"""Agencies, their API keys, and grants as data — with the default policy for the bodies.

A grant says: an agency of this role, reading this field group for this purpose, gets this
level (none, masked, full), on the agency's own communities or on the listed ones. What no
grant allows is denied. The default policy below is data like any other: `gateway grant` edits
it, later migrations may change it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GROUPS = ("identity", "contact", "health", "welfare", "disputes", "appeals", "party", "property")
PERSONAL = ("case_handling", "joint_meeting", "service_delivery")

# (role, field group, purpose, level): the default policy of the demo's bodies.
DEFAULT_POLICY: list[tuple[str, str, str, str]] = [
    # 居委会: everything, full, on its own community, for casework and the joint meetings.
    *[("residents_committee", g, p, "full") for g in GROUPS for p in PERSONAL],
    # 社区党委: Party work full; residents masked; disputes and appeals for joint meetings.
    *[("party_committee", "party", p, "full") for p in PERSONAL],
    *[("party_committee", g, p, "masked") for g in ("identity", "contact") for p in PERSONAL],
    *[("party_committee", g, "joint_meeting", "full")
      for g in ("disputes", "appeals", "welfare")],
    # 为民服务大厅: services and care cards, with identity and contact to deliver them.
    *[("service_hall", g, p, "full") for g in ("identity", "contact", "welfare", "health")
      for p in ("case_handling", "service_delivery")],
    # 12345 / 信访: appeals only.
    *[("hotline", "appeals", p, "full") for p in ("case_handling",)],
    # 人民调解: disputes, with the parties' identity and contact.
    *[("mediation", g, "case_handling", "full") for g in ("disputes",)],
    *[("mediation", g, "case_handling", "masked") for g in ("identity", "contact")],
    # 工会 / 共青团 / 妇联: welfare, identity masked.
    *[("mass_org", "welfare", p, "full") for p in ("case_handling", "service_delivery")],
    *[("mass_org", "identity", p, "masked") for p in ("case_handling", "service_delivery")],
    # 物业 / 业委会: property, identity masked (issue 8 brings their data).
    *[("property", "property", p, "full") for p in ("case_handling", "joint_meeting")],
    *[("property", "identity", p, "masked") for p in ("case_handling", "joint_meeting")],
    # statistics: no personal field at all — aggregates only (no grant rows).
]


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("slug", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        # Community codes the agency may see; ['*'] is every community.
        sa.Column("communities", ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text(), primary_key=True),  # the public part of the key
        sa.Column("agency", sa.Text(), sa.ForeignKey("agencies.slug"), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),  # sha256 of the secret part
        sa.Column("label", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_api_keys_agency", "api_keys", ["agency"])
    grants = op.create_table(
        "grants",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("field_group", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),  # none | masked | full
        # NULL: the agency's own communities; else only these (within the agency's).
        sa.Column("communities", ARRAY(sa.Text())),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("level IN ('none', 'masked', 'full')", name="level"),
        sa.UniqueConstraint("role", "field_group", "purpose", name="uq_grants_rule"),
    )
    op.bulk_insert(grants, [{"role": r, "field_group": g, "purpose": p, "level": lv}
                            for r, g, p, lv in DEFAULT_POLICY])


def downgrade() -> None:
    op.drop_table("grants")
    op.drop_index("ix_api_keys_agency", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("agencies")
