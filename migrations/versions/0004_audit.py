"""Tamper-evident audit of personal-data reads (docs/audit.md).

- `audit_log`: one row per read, in a hash chain: each row holds the hash of the previous row
  and its own (gapless `seq`, not a sequence, so that a deleted row shows as a gap).
- `audit_chain`: one row — the chain's head (last seq and hash), which every append locks, and
  its anchor (last archived seq and hash), where the live chain starts.
- `audit_append(...)`: the whole append as one statement, so a read costs one round trip.
  Its hash formula is `gateway/audit/_chain.py`'s; the audit tests prove the two agree. It runs
  with its owner's rights (SECURITY DEFINER), so a deployment can leave the gateway's role
  only EXECUTE on it and SELECT on the tables: that role then cannot edit or delete a row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

APPEND_FUNCTION = """
CREATE FUNCTION audit_append(
    p_agency text, p_officer text, p_purpose text, p_operation_hash text,
    p_variables_hash text, p_households text[], p_field_groups text[], p_client text,
    p_outcome text, p_digest text,
    OUT a_seq bigint, OUT a_at timestamptz, OUT a_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    v_prev text;
BEGIN
    -- The row must be durable before the response is sent, whatever the session says.
    IF current_setting('synchronous_commit') = 'off' THEN
        PERFORM set_config('synchronous_commit', 'on', true);
    END IF;
    -- The head's row lock serializes appenders of every process until this transaction ends.
    SELECT c.head_seq + 1, c.head_hash INTO a_seq, v_prev
        FROM audit_chain c WHERE c.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the audit chain head (audit_chain id 1) is missing';
    END IF;
    a_at := clock_timestamp();  -- after the lock: times rise with seq
    a_hash := encode(sha256(convert_to(
        a_seq::text || '|'
        || to_char(a_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|'
        || p_digest || '|' || v_prev, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, at, agency, officer, purpose, operation_hash, variables_hash,
                           households, field_groups, client, outcome, prev_hash, hash)
    VALUES (a_seq, a_at, p_agency, p_officer, p_purpose, p_operation_hash, p_variables_hash,
            p_households, p_field_groups, p_client, p_outcome, v_prev, a_hash);
    UPDATE audit_chain SET head_seq = a_seq, head_hash = a_hash WHERE id = 1;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("officer", sa.Text()),
        sa.Column("purpose", sa.Text()),
        sa.Column("operation_hash", sa.Text(), nullable=False),
        sa.Column("variables_hash", sa.Text(), nullable=False),
        sa.Column("households", ARRAY(sa.Text()), nullable=False),
        sa.Column("field_groups", ARRAY(sa.Text()), nullable=False),
        sa.Column("client", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_households", "audit_log", ["households"],
                    postgresql_using="gin")
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.Text(), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.Text(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_one_row"),
    )
    op.bulk_insert(chain, [{"id": 1, "head_seq": 0, "head_hash": GENESIS,
                            "anchor_seq": 0, "anchor_hash": GENESIS}])
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.execute(APPEND_FUNCTION.replace("{schema}", schema))


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_append")
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_log_households", table_name="audit_log")
    op.drop_table("audit_log")
