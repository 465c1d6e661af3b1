"""为民服务大厅 service hall + 居民事务代办站: service cases (办件), 五卡 cards, errands (代办).

HTTP JSON (docs/partners.md §3.1): envelope `{"code": 0, "data": …}`, page-numbered listing,
a cursor change feed, and `POST …/batch` with at most 100 ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from gateway.adapters.base import PartnerInfo, Subject
from gateway.adapters.partners._values import mapped, text
from gateway.adapters.rest import Ask, KeyedDialect, Page, RestAdapter

SLUG = "hall"
INFO = PartnerInfo(SLUG, "Service hall and agency stations", "为民服务大厅/代办站", "rest")

CASE_STATUS = {"已提交": "SUBMITTED", "预审中": "PRE_CHECK", "已受理": "ACCEPTED",
               "不予受理": "NOT_ACCEPTED", "需补正": "SUPPLEMENT_REQUIRED", "办理中": "PROCESSING",
               "已办结": "DECIDED", "已送达": "DELIVERED", "已评价": "EVALUATED", "已撤回": "WITHDRAWN"}
CARD_KIND = {"医疗卡": "MEDICAL", "助学卡": "EDUCATION", "就业卡": "EMPLOYMENT", "服务卡": "SERVICE",
             "结对卡": "PAIRING"}
CARD_STATUS = {"已发放": "ISSUED", "使用中": "ACTIVE", "已注销": "REVOKED", "已过期": "EXPIRED"}
ERRAND_STATUS = {"已接件": "RECEIVED", "已送件": "SUBMITTED_TO_HALL", "已办结": "RETURNED_TO_RESIDENT",
                 "退回补件": "NEEDS_DOCUMENTS"}

_RESOURCES = {"service_case": "banjian", "care_card": "wuka", "errand": "daiban"}
_KEYS = {"service_case": "bjbh", "care_card": "kh", "errand": "dbdh"}


def _service_case(row: Mapping[str, Any]) -> tuple[dict[str, Any], Subject]:
    data = {
        "number": text(row["bjbh"]), "itemCode": text(row.get("sxbm")),
        "title": text(row.get("sxmc")), "applicant": text(row.get("sqrxm")),
        "idNumber": text(row.get("zjhm")), "phone": text(row.get("lxdh")),
        "openedAt": text(row.get("slsj")), "dueAt": text(row.get("cnbjsj")),
        "closedAt": text(row.get("bjsj")), "status": mapped(CASE_STATUS, row.get("bjzt"), "UNKNOWN"),
        "statusText": text(row.get("bjzt")), "result": text(row.get("bljg")),
        "window": text(row.get("slck")), "rating": text(row.get("pj")),
    }
    return data, Subject(name=row.get("sqrxm"), id_number=row.get("zjhm"), phone=row.get("lxdh"),
                         role="applicant")


def _care_card(row: Mapping[str, Any]) -> tuple[dict[str, Any], Subject]:
    data = {
        "number": text(row["kh"]), "kind": mapped(CARD_KIND, row.get("klx")),
        "holder": text(row.get("cyrxm")), "idNumber": text(row.get("zjhm")),
        "phone": text(row.get("lxdh")), "address": text(row.get("zz")),
        "issuedOn": text(row.get("ffrq")), "status": mapped(CARD_STATUS, row.get("zt"), "UNKNOWN"),
    }
    return data, Subject(name=row.get("cyrxm"), id_number=row.get("zjhm"), phone=row.get("lxdh"),
                         address=row.get("zz"), role="holder")


def _errand(row: Mapping[str, Any]) -> tuple[dict[str, Any], Subject]:
    data = {
        "number": text(row["dbdh"]), "resident": text(row.get("jmxm")),
        "phone": text(row.get("lxdh")), "address": text(row.get("zz")),
        "community": text(row.get("sqbm")), "title": text(row.get("dbsx")),
        "openedAt": text(row.get("jjrq")), "closedAt": text(row.get("qjrq")),
        "status": mapped(ERRAND_STATUS, row.get("zt"), "UNKNOWN"), "statusText": text(row.get("zt")),
        "agent": text(row.get("dby")), "linkedCaseNumber": text(row.get("glbjbh")),
    }
    return data, Subject(name=row.get("jmxm"), phone=row.get("lxdh"), address=row.get("zz"),
                         community=data["community"], role="resident")


_MAPPERS = {"service_case": _service_case, "care_card": _care_card, "errand": _errand}


class HallDialect(KeyedDialect):
    slug = SLUG
    keys = _KEYS
    mappers = _MAPPERS
    updated_field = "gxsj"
    max_batch = 100
    health_path = "/api/v1/health"

    def resource(self, entity: str) -> str:
        return _RESOURCES[entity]

    def batch_request(self, resource: str, keys: Sequence[str]) -> Ask:
        return Ask("POST", f"/api/v1/{resource}/batch", json={"ids": list(keys)})

    def batch_rows(self, body: Any) -> Sequence[Mapping[str, Any]]:
        return list(body["data"]["rows"])

    def changes_request(self, resource: str, cursor: str | None) -> Ask:
        return Ask("GET", f"/api/v1/{resource}/changes",
                             params={"since": cursor or "", "limit": 500})

    def changes_page(self, body: Any) -> Page:
        data = body["data"]
        return Page(data["rows"], data.get("next"), bool(data.get("more")))

    def error_message(self, body: Any) -> str | None:
        if isinstance(body, dict) and body.get("code", 0) != 0:
            return f"{body.get('code')} {body.get('msg', '')}".strip()
        return None



def build(client: httpx.AsyncClient) -> RestAdapter:
    return RestAdapter(INFO, client, HallDialect(), tuple(_RESOURCES))
