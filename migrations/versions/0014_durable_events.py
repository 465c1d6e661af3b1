"""Subscription events kept in the store, so none is lost while nobody listens.

Migration 0010 announced each event by NOTIFY alone: an event of a moment when a gateway process
had lost its LISTEN connection was gone. The triggers now write each event to
`subscription_events`, and a row trigger on that table sends the NOTIFY with the event's id.
Events are kept for the retention the gateway prunes them to (`JUHELI_EVENTS_RETENTION_H`).

Each row holds its transaction's id (`xid`) and a snapshot taken inside that transaction
(`snap`). That is what makes a replay exact although ids are not in commit order: every event
committed after event E is invisible in E's snapshot, and every event committed before E was
announced before E (PostgreSQL delivers notifications in commit order). So "the events after E"
are those `NOT pg_visible_in_snapshot(xid, E.snap)` — a few committed while E's transaction ran
come again, and are recognised by their id (docs/subscriptions.md).

Revision ID: 0014
Revises: 0013 (0013_facts_place_index)
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CHANNEL = "juheli_events"
WATCHED = "('dispute', 'ticket', 'petition', 'reception')"
TRUSTED = "('auto', 'confirmed')"
COLUMNS = "kind, record, partner, entity, local_id, household, community, old, new"

TABLE = """
CREATE TABLE subscription_events (
    id bigserial PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    snap pg_snapshot NOT NULL DEFAULT pg_current_snapshot(),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL,
    record bigint NOT NULL,
    partner text NOT NULL,
    entity text NOT NULL,
    local_id text NOT NULL,
    household bigint NOT NULL,
    community text NOT NULL,
    old text,
    new text
)"""

ANNOUNCE = f"""
CREATE FUNCTION subscription_event_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
            'id', NEW.id, 'at', NEW.at, 'kind', NEW.kind, 'record', NEW.record,
            'partner', NEW.partner, 'entity', NEW.entity, 'local_id', NEW.local_id,
            'household', NEW.household, 'community', NEW.community, 'old', NEW.old,
            'new', NEW.new)::text);
  RETURN NULL;
END $$"""

STATUS_EVENT = f"""
CREATE OR REPLACE FUNCTION subscription_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subscription_events ({COLUMNS})
  SELECT 'status', NEW.id, NEW.partner, NEW.entity, NEW.local_id, h.id, h.community_code,
         OLD.status, NEW.status
    FROM links l JOIN households h ON h.id = l.household_id
   WHERE l.source_record_id = NEW.id AND l.status IN {TRUSTED};
  RETURN NULL;
END $$"""


def _link_event(name: str, newly: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO subscription_events ({COLUMNS})
  SELECT 'linked', s.id, s.partner, s.entity, s.local_id, h.id, h.community_code, NULL, s.status
    FROM new_links n
    JOIN source_records s ON s.id = n.source_record_id AND s.subject = 0
                         AND s.entity IN {WATCHED}
    JOIN households h ON h.id = n.household_id
   WHERE n.status IN {TRUSTED}{newly}
   ORDER BY s.id;
  RETURN NULL;
END $$"""


NEWLY_PLACED = f"""
     AND NOT EXISTS (SELECT 1 FROM old_links o WHERE o.source_record_id = n.source_record_id
                        AND o.household_id = n.household_id AND o.status IN {TRUSTED})"""


def upgrade() -> None:
    op.execute(TABLE)
    # A replay reads the events of transactions at or after a snapshot's xmin; a subscriber's
    # replay those of its community; pruning those older than the retention.
    op.execute("CREATE INDEX ix_subscription_events_xid ON subscription_events (xid)")
    op.execute("CREATE INDEX ix_subscription_events_community "
               "ON subscription_events (community, xid)")
    op.execute("CREATE INDEX ix_subscription_events_at ON subscription_events (at)")
    op.execute(ANNOUNCE)
    op.execute("""CREATE TRIGGER subscription_events_announce AFTER INSERT ON subscription_events
                    FOR EACH ROW EXECUTE FUNCTION subscription_event_announce()""")
    op.execute(STATUS_EVENT)
    op.execute(_link_event("subscription_link_inserted", ""))
    op.execute(_link_event("subscription_link_updated", NEWLY_PLACED))


def downgrade() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0010_subscription_events.py")
    spec = importlib.util.spec_from_file_location("juheli_migration_0010", path)
    assert spec is not None and spec.loader is not None
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    op.execute(previous.STATUS_EVENT.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    for name, newly in (("subscription_link_inserted", ""),
                        ("subscription_link_updated", previous.NEWLY_PLACED)):
        op.execute(previous._link_event(name, newly).replace(
            "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute("DROP TABLE subscription_events")
    op.execute("DROP FUNCTION subscription_event_announce()")
