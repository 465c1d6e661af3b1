"""Events for GraphQL subscriptions: a NOTIFY on channel `juheli_events` when a case record
appears on a household or its status changes (docs/subscriptions.md).

Watched: the first subject (a dispute's applicant) of `dispute`, `ticket`, `petition` and
`reception` records. Two moments, both once the record is on a household — before that no query
can show it, and its community is unknown:

- `linked`: a trusted link (auto or confirmed) places the record on a household it was not
  trusted on before — a new record once linkage has placed it, or one moved by a review;
- `status`: the sync stored another unified status for a record that is on a household.

The payload holds keys and status codes only — the record's id and key (partner, entity, the
body's own id), its household's id and community (the listeners route by it), the old and new
status — never personal data: each subscriber reads the record again through the loaders,
under its own grants and audit.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CHANNEL = "juheli_events"
WATCHED = "('dispute', 'ticket', 'petition', 'reception')"
TRUSTED = "('auto', 'confirmed')"

STATUS_EVENT = f"""
CREATE FUNCTION subscription_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
            'kind', 'status', 'record', NEW.id, 'partner', NEW.partner, 'entity', NEW.entity,
            'local_id', NEW.local_id, 'household', h.id,
            'community', h.community_code, 'old', OLD.status, 'new', NEW.status)::text)
     FROM links l JOIN households h ON h.id = l.household_id
    WHERE l.source_record_id = NEW.id AND l.status IN {TRUSTED};
  RETURN NULL;
END $$"""

# Set-wise per statement: a linking run that places thousands of records pays one join. An
# update notifies only where the record was not already trusted on that household.
def _link_event(name: str, newly: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', json_build_object(
            'kind', 'linked', 'record', s.id, 'partner', s.partner, 'entity', s.entity,
            'local_id', s.local_id, 'household', h.id,
            'community', h.community_code, 'old', NULL, 'new', s.status)::text)
     FROM new_links n
     JOIN source_records s ON s.id = n.source_record_id AND s.subject = 0
                          AND s.entity IN {WATCHED}
     JOIN households h ON h.id = n.household_id
    WHERE n.status IN {TRUSTED}{newly};
  RETURN NULL;
END $$"""


NEWLY_PLACED = f"""
      AND NOT EXISTS (SELECT 1 FROM old_links o WHERE o.source_record_id = n.source_record_id
                         AND o.household_id = n.household_id AND o.status IN {TRUSTED})"""


def upgrade() -> None:
    op.execute(STATUS_EVENT)
    op.execute(f"""
        CREATE TRIGGER source_records_status_event AFTER UPDATE OF status ON source_records
          FOR EACH ROW WHEN (NEW.subject = 0 AND NEW.entity IN {WATCHED}
                             AND OLD.status IS DISTINCT FROM NEW.status)
          EXECUTE FUNCTION subscription_status_event()""")
    op.execute(_link_event("subscription_link_inserted", ""))
    op.execute(_link_event("subscription_link_updated", NEWLY_PLACED))
    op.execute("""CREATE TRIGGER links_insert_event AFTER INSERT ON links
                    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT
                    EXECUTE FUNCTION subscription_link_inserted()""")
    op.execute("""CREATE TRIGGER links_update_event AFTER UPDATE ON links
                    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT
                    EXECUTE FUNCTION subscription_link_updated()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER links_update_event ON links")
    op.execute("DROP TRIGGER links_insert_event ON links")
    op.execute("DROP FUNCTION subscription_link_updated()")
    op.execute("DROP FUNCTION subscription_link_inserted()")
    op.execute("DROP TRIGGER source_records_status_event ON source_records")
    op.execute("DROP FUNCTION subscription_status_event()")
