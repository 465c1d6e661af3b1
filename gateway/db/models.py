"""The Juheli store's tables (SQLAlchemy Core metadata; Alembic migrations are written from it).

The store keeps what the gateway must know itself — which partner records exist, what
identifies them, which person and household each belongs to, and the community's geography —
never a copy of each partner's whole system. Partner facts are read live by the adapters; the
`raw` row kept per source record is the last snapshot, the fallback when a partner is down.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_now = func.now()

partners = Table(
    "partners",
    metadata,
    Column("slug", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("kind", Text, nullable=False),  # sql | rest | files
    Column("entities", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=_now),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("partner", Text, ForeignKey("partners.slug"), primary_key=True),
    Column("entity", Text, primary_key=True),
    Column("cursor", Text),
    Column("records", Integer, nullable=False, server_default="0"),
    Column("quarantined", Integer, nullable=False, server_default="0"),
    Column("last_sync_at", DateTime(timezone=True)),
)

streets = Table(
    "streets",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
)

communities = Table(
    "communities",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("street_code", Text, ForeignKey("streets.code"), nullable=False),
)

compounds = Table(
    "compounds",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("community_code", Text, ForeignKey("communities.code"), nullable=False),
    Column("name", Text, nullable=False),
    UniqueConstraint("community_code", "name"),
)

buildings = Table(
    "buildings",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("compound_id", BigInteger, ForeignKey("compounds.id"), nullable=False),
    Column("number", Text, nullable=False),
    UniqueConstraint("compound_id", "number"),
)

entrances = Table(
    "entrances",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("building_id", BigInteger, ForeignKey("buildings.id"), nullable=False),
    Column("number", Text, nullable=False),
    UniqueConstraint("building_id", "number"),
)

households = Table(
    "households",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),  # public id part: the registry's 户编号
    Column("community_code", Text, ForeignKey("communities.code"), nullable=False),
    Column("compound_id", BigInteger, ForeignKey("compounds.id")),
    Column("building_id", BigInteger, ForeignKey("buildings.id")),
    Column("entrance_id", BigInteger, ForeignKey("entrances.id")),
    Column("floor", Integer),
    Column("room", Text),
    Column("address_key", Text),  # compound|building|entrance|room, for address linkage
    # Set when people merged this household into another (the registry kept both numbers).
    Column("merged_into", BigInteger, ForeignKey("households.id")),
    # The registry's household phones, normalized (migration 0007).
    Column("phones", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Index("ix_households_community_key", "community_code", "key"),
    Index("ix_households_address_key", "address_key"),
    Index("ix_households_building", "building_id"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),  # the registry's person number
    Column("household_id", BigInteger, ForeignKey("households.id")),
    Column("id_number", Text),  # canonical 18-char, when known
    Column("name", Text),
    Column("name_pinyin", Text),
    Column("gender", Text),
    Column("birth_date", Text),
    Column("phones", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # A person moved by a merge or split: the registry rebuild keeps their household.
    Column("household_fixed", Boolean, nullable=False, server_default=text("false")),
    Index("ix_persons_id_number", "id_number"),
    Index("ix_persons_household", "household_id"),
)

source_records = Table(
    "source_records",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("partner", Text, ForeignKey("partners.slug"), nullable=False),
    Column("entity", Text, nullable=False),
    Column("local_id", Text, nullable=False),
    # A record about several people (a dispute's parties) is kept once per subject.
    Column("subject", Integer, nullable=False, server_default="0"),
    Column("attrs", JSONB, nullable=False),  # normalized identifying attributes
    Column("raw", JSONB, nullable=False),  # the partner's row as read (last snapshot)
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("partner_updated_at", Text),
    # Its unified status at the last sync, where it has one: the next sync checks a change
    # against the entity's status machine (gateway/sync/machines.py; migration 0008).
    Column("status", Text),
    # New, or its identifying attributes changed since linkage last decided it.
    Column("link_pending", Boolean, nullable=False, server_default=text("true")),
    UniqueConstraint("partner", "entity", "local_id", "subject", name="uq_source_records_key"),
    Index("ix_source_records_link_pending", "id", postgresql_where=text("link_pending")),
    # Responsibilities and visits point at a building or compound, not at a household.
    Index("ix_source_records_building", text("(attrs->>'building_id')")),
    Index("ix_source_records_compound", text("(attrs->>'compound_id')")),
    # Branch-level responsibilities of one community (the top of the 包联 chain).
    Index("ix_source_records_place_level", "entity", text("(attrs->>'community')"),
          text("(attrs->>'targetLevel')")),
)

links = Table(
    "links",
    metadata,
    Column(
        "source_record_id",
        BigInteger,
        ForeignKey("source_records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("person_id", BigInteger, ForeignKey("persons.id")),
    Column("household_id", BigInteger, ForeignKey("households.id")),
    Column("method", Text, nullable=False),  # anchor | id_number | address_name | address | phone
    Column("confidence", Float, nullable=False),
    # auto | needs_review | unlinked (kept with a reason) | confirmed | rejected (human)
    Column("status", Text, nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("impact", Float),  # review queue order: what a wrong link here would cost
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Index("ix_links_household", "household_id"),
    Index("ix_links_person", "person_id"),
    Index("ix_links_review", text("impact DESC"), "source_record_id",
          postgresql_where=text("status = 'needs_review'")),
)

link_decisions = Table(
    "link_decisions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=_now),
    Column("officer", Text, nullable=False),
    Column("action", Text, nullable=False),  # confirm | reject | merge | split
    Column("target", JSONB, nullable=False),
    Column("note", Text),
)

link_models = Table(
    "link_models",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=_now),
    Column("model", JSONB, nullable=False),  # weights.Model.as_json(): levels with m, u, weight
)

# --- access control (migration 0005) -------------------------------------------------------

agencies = Table(
    "agencies",
    metadata,
    Column("slug", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("communities", ARRAY(Text), nullable=False),  # community codes; ['*'] = all
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Column("revoked_at", DateTime(timezone=True)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True),  # the public part of the key
    Column("agency", Text, ForeignKey("agencies.slug"), nullable=False),
    Column("secret_hash", Text, nullable=False),  # sha256 of the secret part
    Column("label", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_keys_agency", "agency"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("role", Text, nullable=False),
    Column("field_group", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("level", Text, nullable=False),  # none | masked | full
    Column("communities", ARRAY(Text)),  # NULL: the agency's own communities
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=_now),
    CheckConstraint("level IN ('none', 'masked', 'full')", name="level"),
    UniqueConstraint("role", "field_group", "purpose", name="uq_grants_rule"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("partner", Text, nullable=False),
    Column("entity", Text, nullable=False),
    Column("origin", Text, nullable=False),  # month/file of a drop, or the record's key
    Column("line", Integer),  # the file's line; NULL for a record of a feed, or a whole file
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # the content as read: a row as JSON, or the bytes
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Column("resolved_at", DateTime(timezone=True)),
    # --- replay and resolution (migration 0008, gateway/sync/quarantine.py) ---
    Column("local_id", Text),  # the record's key, when the row has one
    # open | replayed (an operator stored it, maybe fixed) | superseded (a later good version
    # was synced) | dismissed (an operator decided it holds nothing to keep)
    Column("status", Text, nullable=False, server_default="open"),
    Column("resolved_by", Text),
    Column("note", Text),
    Column("fixed", Text),  # the corrected content an operator replayed, as JSON
    Column("digest", Text, nullable=False),  # md5 of raw
    # One row per problem in one content: the same content read again with the same problem is
    # the same row (NULL lines of feed records count as equal), a new content a new row.
    UniqueConstraint("partner", "entity", "origin", "line", "reason", "digest",
                     name="uq_quarantine_row", postgresql_nulls_not_distinct=True),
    CheckConstraint("status IN ('open', 'replayed', 'superseded', 'dismissed')", name="status"),
    CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved"),
    Index("ix_quarantine_open", "partner", "entity", "local_id",
          postgresql_where=text("status = 'open'")),
)

# --- audit (gateway/audit/): a hash chain of every personal-data read ----------------------------

audit_log = Table(
    "audit_log",
    metadata,
    # Gapless, assigned under the chain head's row lock (not a sequence): a deleted row is a gap.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("agency", Text, nullable=False),
    Column("officer", Text),
    Column("purpose", Text),
    Column("operation_hash", Text, nullable=False),
    Column("variables_hash", Text, nullable=False),
    Column("households", ARRAY(Text), nullable=False),  # household keys (户编号)
    Column("field_groups", ARRAY(Text), nullable=False),
    Column("client", Text),
    Column("outcome", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),  # sha256 hex, see gateway/audit/_chain.py
    Index("ix_audit_log_households", "households", postgresql_using="gin"),
)

audit_chain = Table(
    "audit_chain",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one chain
    Column("head_seq", BigInteger, nullable=False),  # the last appended row
    Column("head_hash", Text, nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),  # the last archived row (0: none)
    Column("anchor_hash", Text, nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

# --- query limits (gateway/limits/, migration 0006) -----------------------------------------

trusted_documents = Table(
    "trusted_documents",
    metadata,
    Column("id", Text, primary_key=True),  # sha256 of the body's UTF-8 bytes, lower-case hex
    Column("body", Text, nullable=False),
    Column("name", Text),  # the operation name(s) the document holds, for people
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=_now),
    CheckConstraint("id ~ '^[0-9a-f]{64}$'", name="sha256"),
)

# Fixed-window request counters shared by every process; UNLOGGED: losing them in a crash only
# forgives one window.
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", Text, primary_key=True),  # agency:<slug> | client:<address>
    Column("window_start", DateTime(timezone=True), primary_key=True),
    Column("hits", Integer, nullable=False),
    prefixes=["UNLOGGED"],
)

# --- combined views (gateway/views/, migration 0009) ---------------------------------------

# One row per partner record a coordination view counts, projected at sync time
# (gateway/views/facts.py); household and community follow linkage.
facts = Table(
    "facts",
    metadata,
    Column("partner", Text, primary_key=True),
    Column("entity", Text, primary_key=True),
    Column("local_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # dispute | appeal | service | care_card | meeting | visit
    Column("body", Text, nullable=False),  # the reporting body: MEDIATION, HOTLINE, HALL, …
    Column("category", Text),
    Column("subkind", Text),
    Column("channel", Text),
    Column("status", Text),
    Column("is_open", Boolean, nullable=False),
    Column("is_dispute", Boolean, nullable=False, server_default=text("false")),
    Column("opened_on", Date),
    Column("closed_on", Date),
    Column("due_on", Date),
    Column("satisfaction", Text),
    Column("topic", Text),
    Column("place", Text),
    Column("ref", Text),  # the record it repeats or refers to (relatedTicketNo, duplicateOf)
    Column("member", Text),  # a contact visit's Party member (local id)
    Column("label", Text),  # what a list shows: number and title
    Column("stated_community", Text),  # the community the partner names, as a code if known
    Column("community_code", Text),  # the linked household's, else the stated one
    Column("household_id", BigInteger, ForeignKey("households.id", ondelete="SET NULL")),
    Column("read_at", DateTime(timezone=True), nullable=False),
    # What a property fact measures: months in arrears, a ballot's floor area (m²).
    Column("quantity", Numeric),
    Index("ix_facts_community_kind_opened", "community_code", "kind", "opened_on"),
    Index("ix_facts_household", "household_id"),
    Index("ix_facts_disputes", "community_code", "opened_on",
          postgresql_where=text("kind = 'dispute' OR is_dispute")),
    Index("ix_facts_ref", "kind", "ref", postgresql_where=text("ref IS NOT NULL")),
    Index("ix_facts_open", "community_code", "kind", "category",
          postgresql_where=text("is_open")),
    Index("ix_facts_place", "place", "kind",
          postgresql_where=text("kind IN ('repair', 'occupancy', 'vote')")),
)

# Bumped by every statement that changes `facts` (a trigger): the key of cached briefs.
facts_version = Table(
    "facts_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("version", BigInteger, nullable=False),
    # The projection the facts were made with (gateway/views/facts.py PROJECTION; migration 0015).
    Column("projection", Text),
    CheckConstraint("id = 1", name="one_row"),
)

# A brief as it was computed, for the minutes: immutable (a trigger refuses UPDATE and DELETE).
frozen_briefs = Table(
    "frozen_briefs",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("community_code", Text, nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("body", JSONB, nullable=False),
    Column("canonical", Text, nullable=False),  # the JSON the hash is of
    Column("sha256", Text, nullable=False),
    Column("as_of", JSONB, nullable=False),  # partner → as-of time of its snapshot
    Column("agency", Text, nullable=False),
    Column("officer", Text),
    Column("purpose", Text),
    Column("frozen_at", DateTime(timezone=True), nullable=False, server_default=_now),
    Index("ix_frozen_briefs_community", "community_code", "frozen_at"),
)

# Bodies onboarded from a definition file (gateway/onboard/): one row per version; the newest
# version of a slug is in force, and every process swaps its adapters when it changes.
partner_definitions = Table(
    "partner_definitions",
    metadata,
    Column("slug", Text, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("source", Text, nullable=False),  # the definition file's text
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=_now),
)


class _PgType(UserDefinedType[str]):
    """A PostgreSQL type SQLAlchemy has no class for, read as text; registered for reflection
    too, so that Alembic compares it instead of warning that it does not know it."""

    cache_ok = True
    name = ""

    def get_col_spec(self, **kw: object) -> str:
        return self.name

    def __init_subclass__(cls) -> None:
        ischema_names[cls.name] = cls


class Xid8(_PgType):
    name = "xid8"


class PgSnapshot(_PgType):
    name = "pg_snapshot"


# Subscription events (gateway/subscriptions/, migration 0014): written by the triggers on
# source_records and links, announced by NOTIFY with their id, kept for the retention so that a
# listener that lost its connection, or a subscriber resuming after a cursor, gets them again.
# `xid` and `snap` are the writing transaction's id and a snapshot taken inside it.
subscription_events = Table(
    "subscription_events",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("xid", Xid8(), nullable=False, server_default=text("pg_current_xact_id()")),
    Column("snap", PgSnapshot(), nullable=False,
           server_default=text("pg_current_snapshot()")),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
    Column("kind", Text, nullable=False),  # linked | status
    Column("record", BigInteger, nullable=False),  # source_records.id
    Column("partner", Text, nullable=False),
    Column("entity", Text, nullable=False),
    Column("local_id", Text, nullable=False),
    Column("household", BigInteger, nullable=False),
    Column("community", Text, nullable=False),
    Column("old", Text),
    Column("new", Text),
    Index("ix_subscription_events_xid", "xid"),
    Index("ix_subscription_events_community", "community", "xid"),
    Index("ix_subscription_events_at", "at"),
)
