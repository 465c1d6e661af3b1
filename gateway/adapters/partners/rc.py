"""居委会 residents' committee: the household and resident registry, 四会 minutes, and the
reception log (接待登记: 接待室, 恳谈会, 入户).

Its own PostgreSQL database (docs/partners.md §1). It is the district's registry: its households
anchor Juheli's canonical households, and its residents the canonical persons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from gateway.adapters.base import PartnerInfo, Record, Subject
from gateway.adapters.partners._values import iso, mapped, split_list, text
from gateway.adapters.sql import SqlAdapter, SqlEntity

SLUG = "rc"
INFO = PartnerInfo(SLUG, "Residents' committee", "社区居委会", "sql")

POPULATION = {"户籍人口": "REGISTERED", "流动人口": "MIGRANT", "人户分离": "REGISTERED_ELSEWHERE",
              "境外人员": "FOREIGN"}
MEETING = {"联席会": "JOINT_DELIBERATION", "听证会": "HEARING", "评议会": "EVALUATION",
           "报告会": "REPORT"}
RECEPTION_CHANNEL = {"接待室": "RECEPTION_ROOM", "恳谈会": "FORUM", "入户": "HOME_VISIT"}
RECEPTION_STATUS = {"已答复": "REPLIED", "办理中": "IN_PROGRESS", "已转办": "TRANSFERRED"}


def household_address(row: Mapping[str, Any]) -> str | None:
    """The registry's structured address columns as one text, or its single address cell."""
    parts = [text(row.get(c)) for c in ("xiaoqu", "loudong", "danyuan", "fanghao")]
    xiaoqu, loudong, danyuan, fanghao = parts
    if loudong and fanghao:
        building = loudong if not loudong.isdigit() else f"{loudong}号楼"
        entrance = "" if not danyuan else (danyuan if not danyuan.isdigit() else f"{danyuan}单元")
        return f"{xiaoqu or ''}{building}{entrance}{fanghao}"
    return text(row.get("zhuzhi"))


def _household(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["hubh"])
    address = household_address(row)
    data = {
        "key": key,
        "community": text(row["sqbm"]),
        "headName": text(row.get("hzxm")),
        "kind": text(row.get("hb")),
        "address": address,
        "compound": text(row.get("xiaoqu")),
        "building": text(row.get("loudong")),
        "entrance": text(row.get("danyuan")),
        "room": text(row.get("fanghao")),
        "residenceStatus": text(row.get("rhzt")),
        "phone": text(row.get("dh")),
        "grid": text(row.get("wg")),
    }
    subject = Subject(name=row.get("hzxm"), phone=row.get("dh"), address=address,
                      community=data["community"], household_local_id=key, role="household")
    return Record(SLUG, "household", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


def _resident(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["rybh"])
    household = text(row["hubh"])
    data = {
        "householdLocalId": household,
        "name": text(row.get("xm")),
        "gender": text(row.get("xb")),
        "ethnicity": text(row.get("mz")),
        "idNumber": text(row.get("sfzh")),
        "birthDate": text(row.get("csrq")),
        "relation": text(row.get("yhzgx")),
        "politicalStatus": text(row.get("zzmm")),
        "populationType": mapped(POPULATION, row.get("rklx")),
        "phone": text(row.get("lxdh")),
        "tags": split_list(row.get("bq")),
        "registeredOn": text(row.get("djrq")),
        "deregisteredOn": text(row.get("zxrq")),
    }
    subject = Subject(name=row.get("xm"), id_number=row.get("sfzh"), phone=row.get("lxdh"),
                      household_local_id=household, role="resident")
    return Record(SLUG, "resident", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


def _meeting(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["hybh"])
    data = {
        "community": text(row["sqbm"]),
        "kind": mapped(MEETING, row.get("hylx")),
        "heldOn": iso(row.get("hyrq")),
        "topic": text(row.get("zt")),
        "participants": row.get("cyrs"),
        "minutes": text(row.get("jy")),
    }
    return Record(SLUG, "meeting", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")))


def _reception(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["jdbh"])
    data = {
        "number": key,
        "visitor": text(row.get("fyr")),
        "phone": text(row.get("lxdh")),
        "address": text(row.get("zz")),
        "community": text(row["sqbm"]),
        "channel": mapped(RECEPTION_CHANNEL, row.get("jdfs"), "OTHER"),
        "receivedOn": iso(row.get("jdrq")),
        "category": text(row.get("sxlb")),  # 事项类别 as the committee words it
        "matter": text(row.get("fysx")),
        "status": mapped(RECEPTION_STATUS, row.get("blqk"), "UNKNOWN"),
        "repliedOn": iso(row.get("dfrq")),
        "dueOn": iso(row.get("blsx")),
    }
    subject = Subject(name=row.get("fyr"), phone=row.get("lxdh"), address=row.get("zz"),
                      community=data["community"], role="visitor")
    return Record(SLUG, "reception", key, data, dict(row), read_at,
                  updated_at=iso(row.get("updated_at")), subjects=(subject,))


def _community(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = str(row["sqbm"])
    data = {"code": key, "name": text(row.get("sqmc")), "streetCode": text(row.get("jdbm")),
            "streetName": text(row.get("jdmc"))}
    return Record(SLUG, "community", key, data, dict(row), read_at)


ENTITIES = {
    "community": SqlEntity("community", "sqbm", None, _community),
    "household": SqlEntity("hu", "hubh", "updated_at", _household),
    "resident": SqlEntity("ren", "rybh", "updated_at", _resident),
    "meeting": SqlEntity("huiyi", "hybh", "updated_at", _meeting),
    "reception": SqlEntity("jiedai", "jdbh", "updated_at", _reception),
}


def build(pool: asyncpg.Pool) -> SqlAdapter:
    return SqlAdapter(INFO, pool, ENTITIES)
