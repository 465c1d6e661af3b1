"""API keys: `jhl_<id>_<secret>`. The id is public (it names the key in logs and the CLI); only
a SHA-256 of the secret is stored — the secret is 32 random bytes, so a slow hash adds nothing —
and it is compared in constant time. Keys expire, are revoked, and are rotated by issuing a new
key and letting the old one expire after a grace period."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from gateway.errors import BadRequest, NotFound

PREFIX = "jhl"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: str  # shown once
    id: str
    agency: str
    expires_at: datetime | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


async def issue(pool: asyncpg.Pool | asyncpg.Connection, agency: str, *,
                expires_in_days: float | None = 365, label: str | None = None) -> IssuedKey:
    found = await pool.fetchrow("SELECT revoked_at FROM agencies WHERE slug = $1", agency)
    if found is None:
        raise NotFound(f"no agency {agency!r}", agency=agency)
    if found["revoked_at"] is not None:
        raise BadRequest(f"agency {agency!r} is revoked: no key can be issued", agency=agency)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(days=expires_in_days)
               if expires_in_days is not None else None)
    await pool.execute(
        "INSERT INTO api_keys (id, agency, secret_hash, label, expires_at) "
        "VALUES ($1, $2, $3, $4, $5)", key_id, agency, hash_secret(secret), label, expires)
    return IssuedKey(f"{PREFIX}_{key_id}_{secret}", key_id, agency, expires)


async def revoke(pool: asyncpg.Pool | asyncpg.Connection, key_id: str) -> None:
    done = await pool.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", key_id)
    if done.endswith(" 0"):
        raise NotFound(f"no active key {key_id!r}", key=key_id)


async def rotate(pool: asyncpg.Pool, key_id: str, *, grace_hours: float = 24,
                 expires_in_days: float | None = 365) -> IssuedKey:
    """A new key for the same agency; the old one keeps working for `grace_hours`."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT agency, label FROM api_keys WHERE id = $1 AND revoked_at IS NULL", key_id)
        if row is None:
            raise NotFound(f"no active key {key_id!r}", key=key_id)
        new = await issue(conn, row["agency"], expires_in_days=expires_in_days,
                          label=row["label"])
        await conn.execute(
            "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), $2) "
            "WHERE id = $1", key_id, datetime.now(UTC) + timedelta(hours=grace_hours))
    return new
