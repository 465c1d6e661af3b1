"""社区党委 community Party committee: organizations, member roster, 包联 chain, visit log.

Its own PostgreSQL database (docs/partners.md §2). The roster has no member id that other bodies
know; members are linked by ID number and name. Responsibilities and visits name their target
as typed in the ledger (a branch, a compound, a building, or a room shorthand).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from gateway.adapters.base import PartnerInfo, Record, Subject
from gateway.adapters.partners._values import iso, mapped, text
from gateway.adapters.sql import SqlAdapter, SqlEntity

SLUG = "party"
INFO = PartnerInfo(SLUG, "Community Party committee", "社区党委", "sql")

BRANCH_TYPE = {"地缘型": "GEOGRAPHIC", "楼组型": "BUILDING_CLUSTER", "联合型": "JOINT",
               "临时型": "TEMPORARY"}
ORG_KIND = {"党委": "COMMITTEE", "党支部": "BRANCH", "党小组": "GROUP"}
MEMBERSHIP = {"正式党员": "FULL", "预备党员": "PROBATIONARY", "01": "FULL", "02": "PROBATIONARY"}
MEMBER_ROLE = {"谋划型": "PLANNER", "知识型": "EXPERT", "文体型": "CULTURE_SPORTS", "服务型": "SERVICE"}
LEVEL = {"党委包支部": "COMMITTEE_BRANCH", "书记包院": "SECRETARY_COMPOUND",
         "支委包楼": "COMMITTEE_MEMBER_BUILDING", "党员包户": "MEMBER_HOUSEHOLD"}
TARGET_LEVEL = {"COMMITTEE_BRANCH": "branch", "SECRETARY_COMPOUND": "compound",
                "COMMITTEE_MEMBER_BUILDING": "building", "MEMBER_HOUSEHOLD": "household"}
VISIT_MODE = {"入户": "HOME_VISIT", "电话": "PHONE", "微信": "MESSAGE"}


def _organization(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["zzid"])
    data = {
        "name": text(row.get("zzmc")),
        "kind": mapped(ORG_KIND, row.get("zzlx")),
        "branchType": mapped(BRANCH_TYPE, row.get("zblx")),
        "parentLocalId": text(row.get("sjzzid")),
        "community": text(row.get("sqbm")),
        "secretary": text(row.get("shuji")),
    }
    return Record(SLUG, "organization", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")))


def _member(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["dyid"])
    data = {
        "name": text(row.get("xm")),
        "gender": text(row.get("xb")),
        "idNumber": text(row.get("sfzh")),
        "joinedOn": text(row.get("rdsj")),
        "membershipStatus": mapped(MEMBERSHIP, row.get("rylb")),
        "branch": text(row.get("szzb")),
        "role": mapped(MEMBER_ROLE, row.get("dylx")),
        "isMobile": text(row.get("sfld")) == "是",
        "phone": text(row.get("lxdh")),
        "address": text(row.get("jtzz")),
        "workplace": text(row.get("gzdw")),
    }
    subject = Subject(name=row.get("xm"), id_number=row.get("sfzh"), phone=row.get("lxdh"),
                      address=row.get("jtzz"), role="member")
    return Record(SLUG, "member", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


def _responsibility(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["blid"])
    level = mapped(LEVEL, row.get("bljc"))
    data = {
        "memberLocalId": text(row["dyid"]),
        "duty": text(row.get("zw")),
        "level": level,
        "target": text(row.get("bldx")),
        "community": text(row.get("sqbm")),
        "lastVisitOn": text(row.get("zjzfrq")),
    }
    subject = Subject(address=row.get("bldx"), community=data["community"],
                      target_level=TARGET_LEVEL.get(level or ""), role="target",
                      affinity=f"{SLUG}:member:{data['memberLocalId']}")
    return Record(SLUG, "responsibility", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


def _visit(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["zfid"])
    data = {
        "memberLocalId": text(row["dyid"]),
        "target": text(row.get("lxh")),
        "community": text(row.get("sqbm")),
        "visitedOn": iso(row.get("zfrq")),
        "mode": mapped(VISIT_MODE, row.get("zfxs"), "OTHER"),
        "note": text(row.get("nr")),
    }
    subject = Subject(address=row.get("lxh"), community=data["community"],
                      target_level="household", role="target",
                      affinity=f"{SLUG}:member:{data['memberLocalId']}")
    return Record(SLUG, "contact_visit", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


ENTITIES = {
    "organization": SqlEntity("zuzhi", "zzid", "updated_at", _organization),
    "member": SqlEntity("dangyuan", "dyid", "updated_at", _member),
    "responsibility": SqlEntity("baolian", "blid", "updated_at", _responsibility),
    "contact_visit": SqlEntity("zoufang", "zfid", "updated_at", _visit),
}


def build(pool: asyncpg.Pool) -> SqlAdapter:
    return SqlAdapter(INFO, pool, ENTITIES)
