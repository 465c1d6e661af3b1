"""The property SaaS's own OpenAPI 3.1 description, served at `GET /openapi/v1/openapi.json`
(no token needed, as for the health check): the routes `property.py` serves and the rows of
docs/partners.md §5.1, written by hand — what a real platform publishes for integrators, and
what `gateway partner draft --openapi` starts a definition from.

Kept accurate by tests/onboard/test_openapi_draft.py, which reads every documented route of a
running simulator and checks the rows against these schemas.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.demo.simulators._common import json_response

Json = dict[str, Any]
MAX_BATCH = 100  # property.MAX_BATCH: batchQuery refuses more keys
MAX_PAGE = 1000  # property.MAX_PAGE: larger page sizes are cut to it
PREFIX = "/openapi/v1"

_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
         "examples": ["2026-05-12 09:31:05"]}


def _s(description: str, *, null: bool = False, **more: Any) -> Json:
    return {"type": ["string", "null"] if null else "string", "description": description, **more}


def _time(description: str, *, null: bool = False) -> Json:
    return {**_TIME, "type": ["string", "null"] if null else "string",
            "description": f"{description} (yyyy-MM-dd HH:mm:ss, Asia/Shanghai)"}


def _num(description: str, kind: str = "number", *, null: bool = False, **more: Any) -> Json:
    return {"type": [kind, "null"] if null else kind, "description": description, **more}


PROJECT: Json = {
    "type": "object",
    "description": "项目: one compound and the company that manages it",
    "required": ["projectCode", "projectName", "companyName", "companyUscc", "address",
                 "roomCodeStyle", "formerName", "updateTime"],
    "properties": {
        "projectCode": _s("项目编码, P + 2 digits", pattern=r"^P\d{2}$"),
        "projectName": _s("小区名称 as the company writes it (may carry 一期)"),
        "companyName": _s("物业公司名称"),
        "companyUscc": _s("物业公司统一社会信用代码 (GB 32100)", pattern=r"^[0-9A-Z]{18}$"),
        "address": _s("项目地址"),
        "roomCodeStyle": _s("房屋编码样式: hash = 3#2-301, letter = A03-2-0301",
                            enum=["hash", "letter"]),
        "formerName": _s("小区曾用名 (开发商案名) its ledgers may still use", null=True),
        "updateTime": _time("更新时间"),
    },
}

HOUSE: Json = {
    "type": "object",
    "description": "房屋台账: one row per room. No ID numbers.",
    "required": ["houseId", "projectCode", "projectName", "roomCode", "building", "unit",
                 "roomNo", "buildArea", "ownerName", "ownerPhone", "checkInStatus",
                 "tenantName", "tenantPhone", "parkingNo", "feePrice", "arrearsMonths",
                 "arrearsAmount", "updateTime"],
    "properties": {
        "houseId": _s("房屋ID, HS + 7 digits", pattern=r"^HS\d{7}$"),
        "projectCode": _s("项目编码"),
        "projectName": _s("小区名称 as this ledger writes it"),
        "roomCode": _s("房屋编码 in the project's style: 3#2-301 or A03-2-0301"),
        "building": _s("楼栋: 3# or A03"),
        "unit": _s("单元, e.g. 2"),
        "roomNo": _s("房号: 301 or 0301"),
        "buildArea": _num("建筑面积 m² (2 decimals)"),
        "ownerName": _s("业主姓名 (the buyer on the contract; co-owners joined 张三、李四)"),
        "ownerPhone": _s("业主电话, any format", null=True),
        "checkInStatus": _s("入住状态", enum=["自住", "出租", "空置"]),
        "tenantName": _s("租户姓名 (only when 出租)", null=True),
        "tenantPhone": _s("租户电话 (only when 出租)", null=True),
        "parkingNo": _s("车位号, e.g. B1-023", null=True),
        "feePrice": _num("物业费单价 元/㎡·月 (2 decimals)"),
        "arrearsMonths": _num("欠费月数", "integer", minimum=0),
        "arrearsAmount": _num("欠费金额 元 (2 decimals)"),
        "updateTime": _time("更新时间"),
    },
}

REPAIR: Json = {
    "type": "object",
    "description": "报修工单",
    "required": ["orderNo", "projectCode", "projectName", "houseId", "roomCode", "reportTime",
                 "reporter", "reporterPhone", "repairType", "content", "worker", "status",
                 "finishTime", "evaluation", "source", "hotlineNo", "updateTime"],
    "properties": {
        "orderNo": _s("报修单号: BX + yyyyMMdd + 4-digit daily serial",
                      pattern=r"^BX\d{12}$"),
        "projectCode": _s("项目编码"),
        "projectName": _s("小区名称 as the order writes it"),
        "houseId": _s("房屋ID; null for a common-area order", null=True),
        "roomCode": _s("房屋编码, or e.g. 3#公共区域 for a common area"),
        "reportTime": _time("报修时间"),
        "reporter": _s("报修人姓名, or how the caller was recorded (王女士)"),
        "reporterPhone": _s("报修人电话", null=True),
        "repairType": _s("报修类型", enum=["水电", "门窗", "公共部位", "电梯", "绿化"]),
        "content": _s("报修内容"),
        "worker": _s("派工人 (null until 已派工)", null=True),
        "status": _s("工单状态", enum=["待派工", "已派工", "维修中", "待评价", "已完成", "已取消"]),
        "finishTime": _time("完工时间 (only 待评价 / 已完成)", null=True),
        "evaluation": _num("评价 1–5 (only 已完成, may be null)", "integer", null=True,
                           minimum=1, maximum=5),
        "source": _s("来源", enum=["业主报修", "12345转办", "巡检"]),
        "hotlineNo": _s("12345工单号 when source is 12345转办", null=True),
        "updateTime": _time("更新时间"),
    },
}

ROWS = {"projects": ("Project", PROJECT, "项目", "projectCode"),
        "houses": ("House", HOUSE, "房屋", "houseId"),
        "repairs": ("Repair", REPAIR, "报修工单", "orderNo")}


def _envelope(data: Json) -> Json:
    return {"type": "object", "required": ["code", "message", "data"], "properties": {
        "code": {"type": "integer", "const": 200, "description": "200 = success"},
        "message": {"type": "string", "examples": ["success"]},
        "data": data}}


def _ok(description: str, data: Json) -> Json:
    return {"description": description,
            "content": {"application/json": {"schema": _envelope(data)}}}


def _list(item: str) -> Json:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}


def _errors(*statuses: str) -> Json:
    return {s: {"$ref": f"#/components/responses/{_ERRORS[s][0]}"} for s in statuses}


_ERRORS = {"400": ("BadRequest", "a bad parameter or body, or more than 100 keys (40001)"),
           "401": ("Unauthorized", "no token, or not the integration account's (40100)"),
           "429": ("Throttled", "too many requests (42900)"),
           "500": ("Internal", "the platform failed (50000)")}
_PAGE_SIZE: Json = {"name": "pageSize", "in": "query", "required": False, "schema": {
    "type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "description": f"rows per page (values past 1–{MAX_PAGE} are cut to that range)"}


def _paths(res: str) -> Json:
    item, _, zh, key = ROWS[res]
    tag = [zh]
    listing = {"get": {
        "operationId": f"list_{res}", "tags": tag, "summary": f"{zh}: one page, in key order",
        "parameters": [
            {"name": "pageNum", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                          "default": 1}},
            {**_PAGE_SIZE, "schema": {**_PAGE_SIZE["schema"], "default": 100}}],
        "responses": {"200": _ok("a page", {"type": "object", "properties": {
            "total": {"type": "integer"}, "pageNum": {"type": "integer"},
            "pageSize": {"type": "integer"}, "pages": {"type": "integer"},
            "list": _list(item)}}), **_errors("400", "401", "429", "500")}}}
    changes = {"get": {
        "operationId": f"changes_{res}", "tags": tag,
        "summary": f"{zh}: rows changed after a cursor, in (updateTime, {key}) order",
        "parameters": [
            {"name": "updatedAfter", "in": "query", "required": False,
             "schema": {"type": "string"}, "description": "the cursor a page answered as "
             "nextUpdatedAfter (opaque); empty or absent: from the beginning"},
            {**_PAGE_SIZE, "schema": {**_PAGE_SIZE["schema"], "default": 500}}],
        "responses": {"200": _ok("a page of changes", {"type": "object", "properties": {
            "list": _list(item),
            "nextUpdatedAfter": {"type": "string", "description": "where to resume; with no "
                                 "rows, the cursor given"},
            "hasMore": {"type": "boolean"}}}), **_errors("400", "401", "429", "500")}}}
    return {f"{PREFIX}/{res}": listing, f"{PREFIX}/{res}/changes": changes,
            f"{PREFIX}/{res}/batchQuery": _batch(res)}


def _batch(res: str) -> Json:
    item, _, zh, key = ROWS[res]
    ids = {"type": "object", "required": ["ids"], "additionalProperties": False, "properties": {
        "ids": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_BATCH,
                "description": f"the rows' {key}s"}}}
    body: Json = ids
    if res == "houses":
        body = {"oneOf": [ids, {
            "type": "object", "required": ["projectCode", "roomCodes"], "properties": {
                "projectCode": {"type": "string"},
                "roomCodes": {"type": "array", "items": {"type": "string"},
                              "maxItems": MAX_BATCH}}}]}
    return {"post": {
        "operationId": f"batch_{res}", "tags": [zh],
        "summary": f"{zh} by key (at most {MAX_BATCH}), rows in any order",
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": _ok("the rows found, and the keys not found", {
            "type": "object", "properties": {"list": _list(item), "notFound": {
                "type": "array", "items": {"type": "string"}}}}),
            **_errors("400", "401", "429", "500")}}}


def document(server: str) -> Json:
    """The description, its `servers` naming `server` (where it was asked for)."""
    error = {"type": "object", "required": ["code", "message", "data"], "properties": {
        "code": {"type": "integer", "enum": [40001, 40100, 40400, 40500, 42900, 50000]},
        "message": {"type": "string"}, "data": {"type": "null"}}}
    paths: Json = {
        f"{PREFIX}/health": {"get": {
            "operationId": "health", "summary": "liveness; needs no token", "security": [],
            "responses": {"200": _ok("up", {"type": "object", "properties": {
                "status": {"type": "string", "const": "UP"}}})}}},
        f"{PREFIX}/openapi.json": {"get": {
            "operationId": "openapi", "summary": "this description; needs no token",
            "security": [], "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                "application/json": {"schema": {"type": "object"}}}}}}},
    }
    for res in ROWS:
        paths.update(_paths(res))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Property-management SaaS open API", "version": "1.4.0",
                 "description": "物业管理SaaS开放平台: every property company of the street, "
                                "one integration account. Answers are wrapped as "
                                '{"code": 200, "message": "success", "data": …}; errors carry '
                                "a 5-digit code and data null."},
        "servers": [{"url": server}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "the integration account's token"}},
            "schemas": {"Error": error, **{name: schema for name, schema, _, _ in ROWS.values()}},
            "responses": {name: {"description": why, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
                for name, why in _ERRORS.values()},
        },
    }


async def openapi(request: Request) -> Response:
    return json_response(document(str(request.base_url).rstrip("/")))
