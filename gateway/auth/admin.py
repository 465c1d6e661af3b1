"""Managing agencies, keys and grants (the `gateway agency | key | grant` commands), and the
demo's bodies with a key each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from gateway.auth import keys
from gateway.auth.policy import GROUPS, LEVELS
from gateway.errors import BadRequest, NotFound


@dataclass(frozen=True, slots=True)
class AgencyRow:
    slug: str
    name: str
    role: str
    communities: list[str]
    created_at: datetime
    revoked_at: datetime | None
    active_keys: int


async def add_agency(pool: asyncpg.Pool, slug: str, name: str, role: str,
                     communities: Sequence[str]) -> None:
    if not communities:
        raise BadRequest("name at least one community code, or '*' for all")
    known = {r["code"] for r in await pool.fetch("SELECT code FROM communities")}
    unknown = sorted(set(communities) - known - {"*"})
    if unknown and known:
        raise BadRequest(f"unknown communities: {', '.join(unknown)}")
    await pool.execute(
        "INSERT INTO agencies (slug, name, role, communities) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, "
        "communities = EXCLUDED.communities, revoked_at = NULL",
        slug, name, role, list(communities))


async def list_agencies(pool: asyncpg.Pool) -> list[AgencyRow]:
    rows = await pool.fetch(
        """SELECT a.slug, a.name, a.role, a.communities, a.created_at, a.revoked_at,
                  count(k.id) FILTER (WHERE k.revoked_at IS NULL
                                       AND (k.expires_at IS NULL OR k.expires_at > now()))
                  AS active_keys
           FROM agencies a LEFT JOIN api_keys k ON k.agency = a.slug
           GROUP BY a.slug ORDER BY a.slug""")
    return [AgencyRow(**dict(r)) for r in rows]


async def revoke_agency(pool: asyncpg.Pool, slug: str) -> None:
    """The agency and every key it holds stop working (within the auth cache's seconds)."""
    async with pool.acquire() as conn, conn.transaction():
        done = await conn.execute(
            "UPDATE agencies SET revoked_at = now() WHERE slug = $1 AND revoked_at IS NULL", slug)
        if done.endswith(" 0"):
            raise NotFound(f"no active agency {slug!r}", agency=slug)
        await conn.execute("UPDATE api_keys SET revoked_at = now() "
                           "WHERE agency = $1 AND revoked_at IS NULL", slug)


async def set_grant(pool: asyncpg.Pool, role: str, group: str, purpose: str, level: str,
                    communities: Sequence[str] | None = None) -> None:
    if group not in GROUPS:
        raise BadRequest(f"unknown field group {group!r}; one of {', '.join(GROUPS)}")
    if level not in LEVELS:
        raise BadRequest(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    await pool.execute(
        "INSERT INTO grants (role, field_group, purpose, level, communities) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role, field_group, purpose) DO UPDATE "
        "SET level = EXCLUDED.level, communities = EXCLUDED.communities",
        role, group, purpose, level, list(communities) if communities else None)


async def list_grants(pool: asyncpg.Pool, role: str | None = None) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT role, field_group, purpose, level, communities FROM grants "
        "WHERE $1::text IS NULL OR role = $1 ORDER BY role, field_group, purpose", role)
    return [dict(r) for r in rows]


async def remove_grant(pool: asyncpg.Pool, role: str, group: str, purpose: str) -> None:
    done = await pool.execute("DELETE FROM grants WHERE role = $1 AND field_group = $2 "
                              "AND purpose = $3", role, group, purpose)
    if done.endswith(" 0"):
        raise NotFound(f"no grant {role} / {group} / {purpose}")


# --- the demo's bodies -------------------------------------------------------------------------

# (slug, name, role, purpose to use); the residents' committees are one per community.
DEMO_AGENCIES = [
    ("party-committee", "社区党委", "party_committee", "joint_meeting"),
    ("service-hall", "为民服务大厅", "service_hall", "service_delivery"),
    ("hotline-12345", "12345 热线 / 信访", "hotline", "case_handling"),
    ("mediation", "人民调解委员会", "mediation", "case_handling"),
    ("trade-union", "工会", "mass_org", "case_handling"),
    ("youth-league", "共青团", "mass_org", "case_handling"),
    ("womens-federation", "妇联", "mass_org", "case_handling"),
    ("statistics", "统计（汇总）", "statistics", "statistics"),
]


async def seed_demo(pool: asyncpg.Pool, keys_file: Path) -> list[dict[str, str]]:
    """Register the demo's bodies and give each a key; keys are kept in `keys_file` (the
    demo's own data dir) and reused while they are valid."""
    saved = {k["agency"]: k for k in (orjson.loads(keys_file.read_bytes())
                                      if keys_file.exists() else [])}
    communities = await pool.fetch("SELECT code, name FROM communities ORDER BY code")
    bodies = [(f"rc-{c['code']}", f"{c['name']}居委会", "residents_committee", "case_handling",
               [c["code"]]) for c in communities]
    bodies += [(slug, name, role, purpose, ["*"]) for slug, name, role, purpose in DEMO_AGENCIES]
    out = []
    for slug, name, role, purpose, scope in bodies:
        await add_agency(pool, slug, name, role, scope)
        old = saved.get(slug)
        valid = old is not None and await pool.fetchval(
            "SELECT count(*) FROM api_keys WHERE id = $1 AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > now())", old["id"])
        key = old if valid and old else None
        if key is None:
            issued = await keys.issue(pool, slug, expires_in_days=90, label="demo")
            key = {"agency": slug, "id": issued.id, "key": issued.key}
        out.append({**key, "name": name, "role": role, "purpose": purpose,
                    "communities": ",".join(scope)})
    keys_file.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
    keys_file.chmod(0o600)
    return out
