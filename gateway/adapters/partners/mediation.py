"""调委会 mediation platform: dispute cases with their parties.

Plain JSON (docs/partners.md §3.3): cursor listing that doubles as the change feed, and
`POST /v2/disputes:batchGet` with at most 200 case ids. A dispute is about several parties, so a
record has one linkage subject per party.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from gateway.adapters.base import PartnerInfo, Record, Subject
from gateway.adapters.partners._values import mapped, text
from gateway.adapters.rest import Ask, Page, RestAdapter

SLUG = "mediation"
INFO = PartnerInfo(SLUG, "People's mediation committee", "人民调解委员会", "rest")

CATEGORY = {"邻里纠纷": "NEIGHBOR", "婚姻家庭纠纷": "MARRIAGE_FAMILY", "损害赔偿纠纷": "DAMAGES",
            "房屋宅基地纠纷": "HOUSING_LAND", "医疗纠纷": "MEDICAL", "合同纠纷": "CONTRACT",
            "物业纠纷": "PROPERTY", "劳动争议纠纷": "LABOR", "消费纠纷": "CONSUMER", "其他纠纷": "OTHER"}
SOURCE = {"当事人申请": "PARTY_APPLICATION", "主动调解": "PROACTIVE", "公安移送": "POLICE_TRANSFER",
          "法院委托": "COURT_ENTRUSTED", "政府交办": "GOV_ASSIGNED", "网格上报": "GRID_REPORT",
          "12345转办": "HOTLINE"}
RISK = {"红": "RED", "橙": "ORANGE", "黄": "YELLOW"}
MEDIATION_TYPE = {"人民调解": "PEOPLES", "行政调解": "ADMINISTRATIVE", "司法调解": "JUDICIAL"}


def _dispute(row: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[Subject, ...]]:
    parties = [p for p in row.get("parties") or [] if isinstance(p, Mapping)]
    data = {
        "number": text(row.get("caseNo")), "category": mapped(CATEGORY, row.get("category"), "OTHER"),
        "categoryText": text(row.get("category")), "source": mapped(SOURCE, row.get("source")),
        "riskLevel": mapped(RISK, row.get("riskLevel")), "occurredOn": text(row.get("occurredAt")),
        "place": text(row.get("place")), "summary": text(row.get("summary")),
        "acceptedOn": text(row.get("acceptedOn")),
        "mediationType": mapped(MEDIATION_TYPE, row.get("mediationType")),
        "mediator": text(row.get("mediator")), "status": text(row.get("status")) or "UNKNOWN",
        "result": text(row.get("result")), "agreementNo": text(row.get("agreementNo")),
        "relatedTicketNumber": text(row.get("relatedTicketNo")),
        "parties": [{"role": text(p.get("role")), "name": text(p.get("name"))} for p in parties],
    }
    subjects = tuple(
        Subject(name=p.get("name"), id_number=p.get("idNumber"), phone=p.get("phone"),
                address=p.get("address"), role=text(p.get("role")))
        for p in parties
    )
    return data, subjects


class MediationDialect:
    max_batch = 200
    health_path = "/v2/health"

    def resource(self, entity: str) -> str:
        return "disputes"

    def batch_request(self, resource: str, keys: Sequence[str]) -> Ask:
        return Ask("POST", f"/v2/{resource}:batchGet", json={"caseIds": list(keys)})

    def batch_rows(self, body: Any) -> Sequence[Mapping[str, Any]]:
        return list(body["items"])

    def changes_request(self, resource: str, cursor: str | None) -> Ask:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        return Ask("GET", f"/v2/{resource}", params=params)

    def changes_page(self, body: Any) -> Page:
        nxt = body.get("nextCursor")
        return Page(body["items"], nxt, nxt is not None)

    def error_message(self, body: Any) -> str | None:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
            return f"{err.get('code')} {err.get('message', '')}".strip()
        return None

    def key(self, entity: str, row: Mapping[str, Any]) -> str:
        return str(row["caseId"])

    def to_record(self, entity: str, row: Mapping[str, Any], read_at: datetime) -> Record:
        data, subjects = _dispute(row)
        return Record(SLUG, entity, self.key(entity, row), data, dict(row), read_at,
                      updated_at=text(row.get("updatedAt")), subjects=subjects)


def build(client: httpx.AsyncClient) -> RestAdapter:
    return RestAdapter(INFO, client, MediationDialect(), ("dispute",))
