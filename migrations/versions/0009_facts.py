"""Snapshots of the facts combined views aggregate, and frozen briefs.

`facts` holds one row per partner record that a coordination view counts — a dispute, an
appeal, a service, a care card, a meeting, a contact visit — projected at sync time onto the
columns the views group and filter by (gateway/views/facts.py). `household_id` and
`community_code` follow linkage: they are refreshed after every linking pass, falling back to
the community the partner itself states.

`frozen_briefs` keeps a coordination brief exactly as it was computed, for the minutes to cite:
its canonical JSON, the SHA-256 of that JSON, and each partner's as-of time. Rows can be neither
updated nor deleted (a trigger refuses both).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# A fact follows its record's link (the first subject's: a dispute's applicant) when the link
# is trusted — decided by linkage or confirmed by a person, as the resolvers read them — set-wise
# per statement, so a batch linking run pays one join, not a trigger call per row.
FOLLOW_LINKS = """
CREATE FUNCTION facts_follow_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE facts f
     SET household_id = h.id, community_code = coalesce(h.community_code, f.stated_community)
    FROM changed_links c
    JOIN source_records s ON s.id = c.source_record_id AND s.subject = 0
    LEFT JOIN households h ON h.id = c.household_id AND c.status IN ('auto', 'confirmed')
   WHERE f.partner = s.partner AND f.entity = s.entity AND f.local_id = s.local_id
     AND (f.household_id IS DISTINCT FROM h.id
          OR f.community_code IS DISTINCT FROM coalesce(h.community_code, f.stated_community));
  RETURN NULL;
END $$"""

DROP_LINKS = """
CREATE FUNCTION facts_drop_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE facts f SET household_id = NULL, community_code = f.stated_community
    FROM changed_links c
    JOIN source_records s ON s.id = c.source_record_id AND s.subject = 0
   WHERE f.partner = s.partner AND f.entity = s.entity AND f.local_id = s.local_id
     AND f.household_id IS NOT NULL;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    op.create_table(
        "facts",
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("local_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.Text()),
        sa.Column("subkind", sa.Text()),
        sa.Column("channel", sa.Text()),
        sa.Column("status", sa.Text()),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("is_dispute", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("opened_on", sa.Date()),
        sa.Column("closed_on", sa.Date()),
        sa.Column("due_on", sa.Date()),
        sa.Column("satisfaction", sa.Text()),
        sa.Column("topic", sa.Text()),
        sa.Column("place", sa.Text()),
        sa.Column("ref", sa.Text()),
        sa.Column("member", sa.Text()),
        sa.Column("label", sa.Text()),
        sa.Column("stated_community", sa.Text()),
        sa.Column("community_code", sa.Text()),
        sa.Column("household_id", sa.BigInteger(),
                  sa.ForeignKey("households.id", name=op.f("fk_facts_household_id_households"),
                                ondelete="SET NULL")),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner", "entity", "local_id", name=op.f("pk_facts")),
    )
    op.create_index("ix_facts_community_kind_opened", "facts",
                    ["community_code", "kind", "opened_on"])
    op.create_index("ix_facts_household", "facts", ["household_id"])
    # Dispute reports are a few of a community's facts: found without reading the rest.
    op.create_index("ix_facts_disputes", "facts", ["community_code", "opened_on"],
                    postgresql_where=sa.text("kind = 'dispute' OR is_dispute"))
    op.create_index("ix_facts_ref", "facts", ["kind", "ref"],
                    postgresql_where=sa.text("ref IS NOT NULL"))
    # What is still open, by kind and category (hardship files, tagged residents, cards).
    op.create_index("ix_facts_open", "facts", ["community_code", "kind", "category"],
                    postgresql_where=sa.text("is_open"))
    # Bumped by every statement that changes facts: a computed brief is current while it holds.
    op.create_table(
        "facts_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_facts_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts_version")),
    )
    op.execute("INSERT INTO facts_version (id, version) VALUES (1, 0)")
    op.execute("""CREATE FUNCTION facts_bump() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN UPDATE facts_version SET version = version + 1; RETURN NULL; END $$""")
    op.execute("""CREATE TRIGGER facts_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facts
                  FOR EACH STATEMENT EXECUTE FUNCTION facts_bump()""")
    op.execute(FOLLOW_LINKS)
    op.execute(DROP_LINKS)
    for event in ("INSERT", "UPDATE"):
        op.execute(f"""CREATE TRIGGER links_{event.lower()}_to_facts AFTER {event} ON links
                         REFERENCING NEW TABLE AS changed_links FOR EACH STATEMENT
                         EXECUTE FUNCTION facts_follow_links()""")
    op.execute("""CREATE TRIGGER links_delete_to_facts AFTER DELETE ON links
                    REFERENCING OLD TABLE AS changed_links FOR EACH STATEMENT
                    EXECUTE FUNCTION facts_drop_links()""")
    op.create_table(
        "frozen_briefs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("community_code", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("body", JSONB(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("as_of", JSONB(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("officer", sa.Text()),
        sa.Column("purpose", sa.Text()),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frozen_briefs")),
    )
    op.create_index("ix_frozen_briefs_community", "frozen_briefs",
                    ["community_code", "frozen_at"])
    op.execute("""
        CREATE FUNCTION frozen_briefs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'frozen briefs are immutable (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
        END $$""")
    op.execute("""
        CREATE TRIGGER frozen_briefs_immutable BEFORE UPDATE OR DELETE OR TRUNCATE
          ON frozen_briefs FOR EACH STATEMENT EXECUTE FUNCTION frozen_briefs_immutable()""")


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER links_{event}_to_facts ON links")
    op.execute("DROP FUNCTION facts_follow_links()")
    op.execute("DROP TRIGGER facts_bump ON facts")
    op.execute("DROP FUNCTION facts_bump()")
    op.drop_table("facts_version")
    op.execute("DROP FUNCTION facts_drop_links()")
    op.execute("DROP TRIGGER frozen_briefs_immutable ON frozen_briefs")
    op.execute("DROP FUNCTION frozen_briefs_immutable()")
    op.drop_index("ix_frozen_briefs_community", table_name="frozen_briefs")
    op.drop_table("frozen_briefs")
    op.drop_index("ix_facts_open", table_name="facts")
    op.drop_index("ix_facts_ref", table_name="facts")
    op.drop_index("ix_facts_disputes", table_name="facts")
    op.drop_index("ix_facts_household", table_name="facts")
    op.drop_index("ix_facts_community_kind_opened", table_name="facts")
    op.drop_table("facts")
