"""12345 热线 + 信访: hotline work orders and petitions.

HTTP JSON (docs/partners.md §3.2): envelope `{"success": true, "result": …}`, increment feed with
a cursor, `GET …/byIds?ids=a,b` with at most 50 ids (missing ids are just absent). Work orders
carry no ID number: an honorific, a masked phone, and the address inside the free-text content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from gateway.adapters.base import PartnerInfo, Subject
from gateway.adapters.partners._values import mapped, text
from gateway.adapters.rest import Ask, KeyedDialect, Page, RestAdapter

SLUG = "hotline"
INFO = PartnerInfo(SLUG, "12345 hotline and petitions", "12345热线/信访", "rest")

APPEAL_TYPE = {"咨询": "CONSULTATION", "求助": "HELP", "投诉": "COMPLAINT", "举报": "REPORT",
               "建议": "SUGGESTION", "表扬": "PRAISE"}
TICKET_CHANNEL = {"电话": "PHONE", "网站": "WEBSITE", "微信": "WECHAT", "APP": "APP", "转办": "TRANSFER"}
TICKET_STATUS = {"已受理": "RECEIVED", "直接答复": "ANSWERED_DIRECTLY", "待派遣": "PENDING_DISPATCH",
                 "已派遣": "DISPATCHED", "退单审核": "RETURN_REVIEW", "已签收": "SIGNED",
                 "办理中": "IN_PROGRESS", "已回复": "REPLIED", "回访中": "FOLLOW_UP",
                 "重办": "REOPENED", "已归档": "ARCHIVED"}
SATISFACTION = {"满意": "SATISFIED", "基本满意": "BASICALLY_SATISFIED", "不满意": "DISSATISFIED"}
PETITION_CHANNEL = {"来信": "LETTER", "来访": "VISIT", "网上": "ONLINE", "电话": "PHONE"}
PETITION_STATUS = {"已登记": "REGISTERED", "已受理": "ACCEPTED", "不予受理": "NOT_ACCEPTED",
                   "已转送": "TRANSFERRED", "办理中": "HANDLING", "已出具意见": "OPINION_ISSUED",
                   "复查中": "REVIEW_REQUESTED", "复核中": "RE_REVIEW_REQUESTED", "已办结": "CLOSED"}

_RESOURCES = {"ticket": "workorders", "petition": "petitions"}
_KEYS = {"ticket": "gdbh", "petition": "xfjbh"}


def _ticket(row: Mapping[str, Any]) -> tuple[dict[str, Any], Subject]:
    content = text(row.get("sqnr"))
    data = {
        "number": text(row["gdbh"]), "receivedAt": text(row.get("ldsj")),
        "callerPhone": text(row.get("ldhm")), "caller": text(row.get("sqr")),
        "channel": mapped(TICKET_CHANNEL, row.get("sqqd"), "OTHER"),
        "appealType": mapped(APPEAL_TYPE, row.get("sqlx")), "category": text(row.get("sqfl")),
        "content": content, "address": text(row.get("sfdz")), "community": text(row.get("sssq")),
        "handlingUnit": text(row.get("cbdw")), "dueAt": text(row.get("blsx")),
        "closedAt": text(row.get("bjsj")), "status": mapped(TICKET_STATUS, row.get("zt"), "UNKNOWN"),
        "satisfaction": mapped(SATISFACTION, row.get("myd")),
        "duplicateOf": text(row.get("cfjglgd")),
    }
    # The address is often only inside the content; linkage extracts it from there.
    subject = Subject(name=row.get("sqr"), phone=row.get("ldhm"),
                      address=text(row.get("sfdz")) or content, community=text(row.get("sssq")),
                      role="caller")
    return data, subject


def _petition(row: Mapping[str, Any]) -> tuple[dict[str, Any], Subject]:
    data = {
        "number": text(row["xfjbh"]), "channel": mapped(PETITION_CHANNEL, row.get("xfxs"), "OTHER"),
        "receivedAt": text(row.get("xfrq")), "petitioner": text(row.get("xfr")),
        "people": row.get("rs"), "idNumber": text(row.get("sfzh")), "phone": text(row.get("dh")),
        "address": text(row.get("zz")), "matter": text(row.get("xfsx")),
        "status": mapped(PETITION_STATUS, row.get("zt"), "UNKNOWN"), "dueAt": text(row.get("blsx")),
    }
    subject = Subject(name=row.get("xfr"), id_number=row.get("sfzh"), phone=row.get("dh"),
                      address=row.get("zz"), role="petitioner")
    return data, subject


_MAPPERS = {"ticket": _ticket, "petition": _petition}


class HotlineDialect(KeyedDialect):
    slug = SLUG
    keys = _KEYS
    mappers = _MAPPERS
    updated_field = "gxsj"
    max_batch = 50
    health_path = "/open/health"

    def resource(self, entity: str) -> str:
        return _RESOURCES[entity]

    def batch_request(self, resource: str, keys: Sequence[str]) -> Ask:
        return Ask("GET", f"/open/{resource}/byIds", params={"ids": ",".join(keys)})

    def batch_rows(self, body: Any) -> Sequence[Mapping[str, Any]]:
        return list(body["result"]["list"])

    def changes_request(self, resource: str, cursor: str | None) -> Ask:
        return Ask("GET", f"/open/{resource}/increment",
                             params={"after": cursor or "", "size": 500})

    def changes_page(self, body: Any) -> Page:
        result = body["result"]
        return Page(result["list"], result.get("cursor"), bool(result.get("hasMore")))

    def error_message(self, body: Any) -> str | None:
        if isinstance(body, dict) and body.get("success") is False:
            return f"{body.get('errorCode')} {body.get('errorMsg', '')}".strip()
        return None



def build(client: httpx.AsyncClient) -> RestAdapter:
    return RestAdapter(INFO, client, HotlineDialect(), tuple(_RESOURCES))
