"""群团 mass organizations: monthly spreadsheet drops of the trade union and the youth league
(docs/partners.md §4). Chinese headers, GBK CSVs, XLSX with a title row; ID numbers often masked
or 15-digit. The women's federation's ledger lies in the same folder but is a body of its own,
reached by its definition file alone (gateway/onboard/definitions/womenfed.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.adapters.base import PartnerInfo, Record, Subject
from gateway.adapters.files import FileDropAdapter, FileEntity
from gateway.adapters.partners._values import mapped, text

SLUG = "massorg"
INFO = PartnerInfo(SLUG, "Mass organizations (union, youth league)", "群团组织(工会/共青团)",
                   "files")

HARDSHIP = {"深度困难": "DEEP", "相对困难": "RELATIVE", "意外致困": "ACCIDENTAL"}
BODY = {"hardship_file": "工会", "volunteer": "共青团", "pairing": "共青团"}


def _record(entity: str, key: str, data: dict[str, Any], subject: Subject,
            row: Mapping[str, Any], read_at: datetime) -> Record:
    data["body"] = BODY[entity]
    raw = {k: (v if isinstance(v, str | int | float | type(None)) else str(v)) for k, v in row.items()}
    return Record(SLUG, entity, key, data, raw, read_at, live=False, subjects=(subject,))


def _hardship(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = text(row["职工编号"]) or ""
    data = {"number": key, "name": text(row.get("姓名")), "idNumber": text(row.get("身份证号")),
            "phone": text(row.get("手机")), "address": text(row.get("家庭住址")),
            "employer": text(row.get("工作单位")), "level": mapped(HARDSHIP, row.get("困难类别")),
            "reason": text(row.get("主要致困原因")), "openedOn": text(row.get("建档日期"))}
    subject = Subject(name=row.get("姓名"), id_number=row.get("身份证号"), phone=row.get("手机"),
                      address=row.get("家庭住址"), role="worker")
    return _record("hardship_file", key, data, subject, row, read_at)


def _volunteer(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = text(row["志愿者编号"]) or ""
    data = {"number": key, "name": text(row.get("姓名")), "idNumber": text(row.get("身份证号")),
            "phone": text(row.get("手机")), "team": text(row.get("所属组织")),
            "registeredOn": text(row.get("注册日期")), "serviceHours": text(row.get("累计时长"))}
    subject = Subject(name=row.get("姓名"), id_number=row.get("身份证号"), phone=row.get("手机"),
                      role="volunteer")
    return _record("volunteer", key, data, subject, row, read_at)


def _pairing(row: Mapping[str, Any], read_at: datetime) -> Record:
    key = text(row["台账编号"]) or ""
    data = {"number": key, "name": text(row.get("帮扶对象")), "school": text(row.get("学校")),
            "phone": text(row.get("监护人电话")), "address": text(row.get("家庭住址")),
            "kind": text(row.get("帮扶类型")), "mentor": text(row.get("结对人")),
            "openedOn": text(row.get("结对日期"))}
    subject = Subject(name=row.get("帮扶对象"), phone=row.get("监护人电话"),
                      address=row.get("家庭住址"), role="child")
    return _record("pairing", key, data, subject, row, read_at)


ENTITIES = {
    "hardship_file": FileEntity("工会_困难职工档案_*.xlsx", "职工编号", _hardship, sheet="困难职工档案"),
    "volunteer": FileEntity("共青团_志愿者名册_*.csv", "志愿者编号", _volunteer),
    "pairing": FileEntity("共青团_帮扶台账_*.csv", "台账编号", _pairing),
}


def build(folder: Path) -> FileDropAdapter:
    return FileDropAdapter(INFO, folder, ENTITIES)
