"""A request's credentials → `Principal`, or a coded 401.

Credentials: `Authorization: Bearer <API key or JWT>` or `X-API-Key: <key>`. The officer comes
from the token, else from `X-Officer` (UTF-8, percent-encoded where needed); the purpose from
`X-Purpose`. Keys, agencies and grants read from the store are trusted for `auth_cache_s`
seconds per process, so a revocation takes effect everywhere within that time. A store that
cannot be reached for what is not cached is `StoreUnavailable` (a 503), never a 401 or a 500.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import asyncpg

from gateway.auth import keys
from gateway.auth.policy import Policy, load_policy
from gateway.auth.principal import ANONYMOUS, Agency, Principal
from gateway.auth.tokens import TokenVerifier
from gateway.db.store import reaching_store
from gateway.errors import CredentialsExpired, CredentialsRevoked, TokenInvalid, Unauthenticated
from gateway.settings import Settings


class Authenticator:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.ttl = settings.auth_cache_s
        self.anonymous_allowed = settings.mode != "production"
        self.verifier = (
            TokenVerifier(settings.jwt_keys_file, issuer=settings.jwt_issuer,
                          audience=settings.jwt_audience, agency_claim=settings.jwt_agency_claim,
                          leeway_s=settings.jwt_leeway_s)
            if settings.jwt_keys_file else None
        )
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    async def _cached(self, kind: str, key: str, load: Any) -> Any:
        now = time.monotonic()
        hit = self._cache.get((kind, key))
        if hit and hit[0] > now:
            return hit[1]
        with reaching_store():
            value = await load()
        self._cache[(kind, key)] = (now + self.ttl, value)
        return value

    async def policy(self) -> Policy:
        policy: Policy = await self._cached("policy", "", lambda: load_policy(self.pool))
        return policy

    async def agency(self, slug: str) -> Agency | None:
        async def load() -> Agency | None:
            row = await self.pool.fetchrow(
                "SELECT slug, name, role, communities FROM agencies "
                "WHERE slug = $1 AND revoked_at IS NULL", slug)
            return Agency.of(row["slug"], row["name"], row["role"], row["communities"]) \
                if row else None

        found: Agency | None = await self._cached("agency", slug, load)
        return found

    def forget(self) -> None:
        self._cache.clear()

    async def principal(self, headers: Mapping[str, str]) -> Principal:
        token = _credential(headers)
        purpose = (headers.get("x-purpose") or "").strip() or None
        officer = unquote(headers.get("x-officer") or "").strip() or None
        if token is None:
            if not self.anonymous_allowed:
                raise Unauthenticated("credentials required: Authorization: Bearer <key or token>")
            return ANONYMOUS
        if keys.split(token) is not None:
            return await self._by_key(token, officer, purpose)
        if self.verifier is None:
            raise Unauthenticated("unknown credentials")
        claims = self.verifier.verify(token)
        agency = await self.agency(claims.agency)
        if agency is None:
            raise CredentialsRevoked("the token's agency is unknown or revoked")
        return Principal(agency, claims.officer or officer or claims.subject, purpose, "jwt")

    async def _by_key(self, token: str, officer: str | None, purpose: str | None) -> Principal:
        key_id, secret = keys.split(token) or ("", "")

        async def load() -> asyncpg.Record | None:
            return await self.pool.fetchrow(
                "SELECT k.secret_hash, k.expires_at, k.revoked_at, k.agency, "
                "a.revoked_at AS agency_revoked FROM api_keys k "
                "JOIN agencies a ON a.slug = k.agency WHERE k.id = $1", key_id)

        row = await self._cached("key", key_id, load)
        # Unknown id and wrong secret answer alike: nothing tells which keys exist.
        if row is None or not keys.secret_matches(secret, row["secret_hash"]):
            raise Unauthenticated("unknown credentials")
        if row["revoked_at"] is not None or row["agency_revoked"] is not None:
            raise CredentialsRevoked("this key is revoked")
        if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
            raise CredentialsExpired("this key has expired")
        agency = await self.agency(row["agency"])
        if agency is None:
            raise CredentialsRevoked("this key's agency is revoked")
        return Principal(agency, officer, purpose, "api_key", key_id)


def _credential(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization") or ""
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise TokenInvalid("use Authorization: Bearer <key or token>")
        return value.strip()
    key = (headers.get("x-api-key") or "").strip()
    return key or None
