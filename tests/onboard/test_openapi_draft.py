"""`gateway partner draft --openapi`: a definition drafted from a partner's OpenAPI description.

Against the demo property SaaS's own description (served live by its simulator, and checked
here against what the simulator really answers), the draft finds the three entities, their
keys, update times, change feeds and batch reads, the bearer auth and the envelope, puts no
personal-looking field in `public`, and holds every column the shipped property.yaml reads. The
loader refuses it only on its declared TODOs; completed, it dry-runs against the simulator.
"""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from gateway.cli import app
from gateway.demo.simulators import property as saas
from gateway.demo.simulators import property_openapi
from gateway.onboard._openapi_draft import q
from gateway.onboard._openapi_props import personal
from gateway.onboard.errors import DefinitionInvalid, Problem
from gateway.onboard.loader import load_file, read
from gateway.onboard.openapi import Draft, Todo, draft
from gateway.onboard.shipped import FOLDER
from tests.conftest import migrated_store

runner = CliRunner()
RESOURCES = {"projects": "project", "houses": "occupancy", "repairs": "repair_order"}
KEYS = {"project": "projectCode", "occupancy": "houseId", "repair_order": "orderNo"}
PERSONAL = {"occupancy": {"ownerName", "ownerPhone", "tenantName", "tenantPhone"},
            "repair_order": {"reporter", "reporterPhone"}}
MAPPING = re.compile(r"\{from: (?P<from>[^,]+), type: (?P<type>\w+)(?:, map: \w+)?, "
                     r"group: (?P<group>\w+)\}")


def _url(district: Any) -> str:
    return f"{district.urls['property']}/openapi/v1/openapi.json"


def _blocks(text: str) -> dict[str, str]:
    """The text of each entity of a draft, commented lines included."""
    body = text.split("\nentities:\n", 1)[1].split("\nvalue_maps:", 1)[0]
    parts = re.split(r"^  ([a-z_]+):.*$", body, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _groups(block: str) -> dict[str, str]:
    """Column → group of every mapping line of an entity, `# ?:` lines included."""
    return {m["from"]: m["group"] for m in MAPPING.finditer(block)}


def _refused(text: str) -> list[Problem]:
    try:
        read(text, file="draft.yaml")
    except DefinitionInvalid as exc:
        return list(exc.problems)
    return []


def _declared(problem: Problem, todos: tuple[Todo, ...]) -> bool:
    return any(t.line == problem.line and (problem.key == t.key
                                           or problem.key.startswith(t.key + "."))
               for t in todos)


# --- the simulator's description is what it serves ------------------------------------------------


def _conforms(value: Any, schema: dict[str, Any]) -> bool:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    checks = {"string": lambda v: isinstance(v, str), "null": lambda v: v is None,
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool)}
    if not any(checks[k](value) for k in kinds):
        return False
    if value is None:
        return True
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    return schema.get("minimum", value) <= value <= schema.get("maximum", value)


def test_the_saas_describes_the_routes_and_rows_it_serves(district: Any) -> None:
    base = district.urls["property"]
    doc = httpx.get(_url(district)).json()  # no token needed
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": base}]
    assert (property_openapi.MAX_BATCH, property_openapi.MAX_PAGE) == (saas.MAX_BATCH,
                                                                      saas.MAX_PAGE)
    schemas = doc["components"]["schemas"]
    errors = set(schemas["Error"]["properties"]["code"]["enum"])
    auth = {"Authorization": f"Bearer {saas.DEMO_TOKEN}"}
    with httpx.Client(base_url=base, headers=auth) as client:
        for res, (name, _, _, key) in property_openapi.ROWS.items():
            schema = schemas[name]
            props = schema["properties"]
            prefix = f"/openapi/v1/{res}"
            assert {f"{prefix}", f"{prefix}/changes", f"{prefix}/batchQuery"} <= set(doc["paths"])
            page = client.get(prefix, params={"pageSize": 1000}).json()
            changes = client.get(f"{prefix}/changes", params={"updatedAfter": ""}).json()
            assert page["code"] == changes["code"] == 200
            assert set(page["data"]) == set(doc["paths"][prefix]["get"]["responses"]["200"][
                "content"]["application/json"]["schema"]["properties"]["data"]["properties"])
            assert set(changes["data"]) == {"list", "nextUpdatedAfter", "hasMore"}
            rows = page["data"]["list"] + changes["data"]["list"]
            assert rows
            for row in rows:
                assert set(row) == set(props) == set(schema["required"]), res
                wrong = {k: v for k, v in row.items() if not _conforms(v, props[k])}
                assert wrong == {}, (res, wrong)
            keys = [r[key] for r in rows[:3]]
            found = client.post(f"{prefix}/batchQuery", json={"ids": [*keys, "NOPE"]}).json()
            assert {r[key] for r in found["data"]["list"]} == set(keys)
            assert found["data"]["notFound"] == ["NOPE"]
            too_many = client.post(f"{prefix}/batchQuery", json={"ids": ["x"] * 101})
            assert too_many.status_code == 400 and too_many.json()["code"] in errors
    refused = httpx.get(f"{base}/openapi/v1/houses")
    assert refused.status_code == 401 and refused.json()["code"] in errors
    assert httpx.get(f"{base}/openapi/v1/health").json()["data"] == {"status": "UP"}


# --- the draft of the live description -----------------------------------------------------------


@pytest.fixture(scope="module")
def live(district: Any) -> Draft:
    return draft(_url(district), slug="property2")


def test_the_command_writes_the_draft_and_lists_what_is_left(district: Any,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "property2.yaml"
    made = runner.invoke(app, ["partner", "draft", "--openapi", _url(district), "--slug",
                               "property2", "--out", str(out)], env={"COLUMNS": "200"})
    assert made.exit_code == 0, made.output
    assert "project ← projects, occupancy ← houses, repair_order ← repairs" in made.output
    assert "line 10, body.name_zh: the body's name in Chinese" in made.output
    assert "value_maps.status.values.待派工" in made.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT definition of `property2`")
    assert yaml.safe_load(text)["body"]["slug"] == "property2"


def test_the_draft_recognises_the_saas(live: Draft) -> None:
    data = yaml.safe_load(live.text)
    source = data["source"]
    assert source["base_url"] == "${PROPERTY2_URL}"
    assert source["auth"] == {"kind": "bearer", "token": "${PROPERTY2_TOKEN}"}
    assert source["health_path"] == "/openapi/v1/health"
    assert source["max_batch"] == saas.MAX_BATCH
    assert source["envelope"] == {"code": "code", "ok": [200], "message": "message"}
    assert source["feed"] == {"batch_rows": "data.list", "rows": "data.list",
                              "next_cursor": "data.nextUpdatedAfter", "has_more": "data.hasMore",
                              "since_param": "updatedAfter", "page_size_param": "pageSize",
                              "page_size": 500}
    assert data["body"]["kind"] == "property_company" and data["body"]["name_zh"] is None
    assert set(data["entities"]) == set(RESOURCES.values())
    for res, entity in RESOURCES.items():
        spec = data["entities"][entity]
        assert (spec["key"], spec["updated"]) == (KEYS[entity], "updateTime")
        assert spec["rest"] == {"batch_path": f"/openapi/v1/{res}/batchQuery",
                                "batch_param": "ids",
                                "changes_path": f"/openapi/v1/{res}/changes"}
    maps = data["value_maps"]
    assert maps["check_in_status"] == {"values": {"自住": "TODO", "出租": "TODO", "空置": "TODO"},
                                       "unmapped": "quarantine"}
    assert data["entities"]["repair_order"]["fields"]["status"]["map"] == "status"


def test_no_personal_looking_field_is_public(live: Draft) -> None:
    blocks = _blocks(live.text)
    for entity, block in blocks.items():
        groups = _groups(block)
        assert "public" not in groups.values(), entity
        for column in PERSONAL.get(entity, set()):
            assert groups[column] in ("identity", "contact"), (entity, column)
    fields = yaml.safe_load(live.text)["entities"]["occupancy"]["fields"]
    assert fields["ownerName"]["group"] == "identity"
    assert fields["ownerPhone"]["group"] == "contact"
    assert live.text.count("# TODO review group") == live.mapped
    assert live.text.count("TODO map, review group") == live.unmapped


def test_the_draft_holds_every_column_the_shipped_definition_reads(live: Draft) -> None:
    shipped, _ = load_file(FOLDER / "property.yaml")
    blocks = _blocks(live.text)
    drafted = yaml.safe_load(live.text)["entities"]
    for name, entity in shipped.entities.items():
        columns = {m.from_ for m in entity.fields.values() if m.from_}
        assert columns - set(_groups(blocks[name])) == set(), name
        # where the draft names a unified field, it reads the column the shipped file reads
        for field, mapped in drafted[name]["fields"].items():
            if field in entity.fields:
                assert mapped["from"] == entity.fields[field].from_, (name, field)
    codes = shipped.value_maps["repair_status"].values
    assert set(yaml.safe_load(live.text)["value_maps"]["status"]["values"]) == set(codes)


def test_the_loader_refuses_the_draft_only_on_its_todos(live: Draft) -> None:
    first = _refused(live.text)
    assert [(p.line, p.key) for p in first] == [(10, "body.name_zh")]
    named = live.text.replace("  name_zh: null", "  name_zh: 物业二", 1)
    second = _refused(named)
    assert {p.key for p in second} == {f"value_maps.status.values.{c}"
                                       for c in ("待派工", "已派工", "维修中", "待评价", "已完成",
                                                 "已取消")}
    assert all("is not one of REPORTED" in p.message for p in second)
    assert all(_declared(p, live.todos) for p in first + second)
    assert len(live.todos) == len(first) + len(second)  # and each todo is refused


def _complete(text: str) -> str:
    """The draft finished as a person would: names, codes, the fields that matter, subjects."""
    shipped, _ = load_file(FOLDER / "property.yaml")
    data = yaml.safe_load(text)
    data["body"]["name_zh"] = "第二物业平台"
    maps = data["value_maps"]
    maps["status"]["values"] = dict(shipped.value_maps["repair_status"].values)
    maps["check_in_status"]["values"] = dict(shipped.value_maps["check_in"].values)
    maps["repair_type"]["values"] = dict(shipped.value_maps["repair_type"].values)
    for unused in ("room_code_style", "source"):
        del maps[unused]
    occupancy = data["entities"]["occupancy"]
    occupancy["fields"]["occupancy"] = {"from": "checkInStatus", "map": "check_in_status",
                                        "required": True, "group": "property"}
    occupancy["fields"]["compound"] = {"from": "projectName", "group": "public"}
    repairs = data["entities"]["repair_order"]
    repairs["fields"]["category"] = {"from": "repairType", "map": "repair_type",
                                     "group": "public"}
    repairs["fields"]["number"] = {"from": "orderNo", "group": "public"}
    for name in ("occupancy", "repair_order"):
        data["entities"][name]["subjects"] = [
            s.model_dump(exclude_none=True) for s in shipped.entities[name].subjects]
    data["entities"]["project"]["fields"]["compound"] = {"from": "projectName",
                                                         "group": "public"}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_completed_draft_dry_runs_against_the_saas(live: Draft, district: Any, pg_admin: str,
                                                     tmp_path: Path) -> None:
    uri = asyncio.run(migrated_store(pg_admin, "openapi_draft"))
    path = tmp_path / "property2.yaml"
    path.write_text(_complete(live.text), encoding="utf-8")
    env = {"JUHELI_DATABASE_URL": uri, "JUHELI_DATA_DIR": str(tmp_path / "data"),
           "PROPERTY2_URL": district.urls["property"], "PROPERTY2_TOKEN": saas.DEMO_TOKEN,
           "COLUMNS": "200"}
    checked = runner.invoke(app, ["partner", "add", "--check", str(path)], env=env)
    assert checked.exit_code == 0, checked.output
    for entity in ("project", "occupancy", "repair_order"):
        assert re.search(rf"{entity}: [1-9]\d* rows read, 0 would be quarantined",
                         checked.output), (entity, checked.output)
    assert "RENTED" in checked.output or "OWNER_OCCUPIED" in checked.output
    assert "registered" not in checked.output


# --- other descriptions ---------------------------------------------------------------------------

SECOND = """\
openapi: 3.0.3
info: {title: 第二物业服务有限公司接口, version: "2"}
servers: [{url: "https://{host}/v2", variables: {host: {default: rooms.example}}}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
  schemas:
    Room:
      type: object
      x-juheli-entity: occupancy
      required: [id, fangjian]
      properties:
        id: {type: string}
        fangjian: {type: string, description: 房间编码, x-juheli-field: roomCode}
        zhuangtai: {type: string, enum: [ZZ, CZ, KZ]}
        mianji: {type: number, nullable: true}
        yezhu:
          type: object
          properties: {xingming: {type: string}, dianhua: {type: string}}
        gengxin: {type: string, format: date-time, x-juheli-updated: true}
    Answer:
      type: object
      properties:
        errcode: {type: integer, enum: [0]}
        errmsg: {type: string}
        result:
          type: object
          properties:
            rooms: {type: array, items: {$ref: "#/components/schemas/Room"}}
            cursor: {type: string}
            more: {type: boolean}
security: [{key: []}]
paths:
  /api/ping:
    get: {responses: {"200": {description: up}}}
  /api/rooms:
    get:
      parameters:
        - {name: ids, in: query, required: true, schema: {type: string}}
      responses:
        200:
          description: rooms
          content: {application/json: {schema: {$ref: "#/components/schemas/Answer"}}}
  /api/rooms/sync:
    get:
      parameters:
        - {name: since, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, default: 200, maximum: 1000}}
      responses:
        200:
          description: a page
          content: {application/json: {schema: {$ref: "#/components/schemas/Answer"}}}
"""


def test_a_yaml_openapi_3_0_description_with_an_api_key(tmp_path: Path) -> None:
    path = tmp_path / "second.yaml"
    path.write_text(SECOND, encoding="utf-8")
    made = draft(str(path), slug="estate2")
    data = yaml.safe_load(made.text)
    assert data["body"]["name_zh"] == "第二物业服务有限公司接口" and data["body"]["name"] is None
    assert made.text.count("# servers[0]: https://rooms.example/v2") == 1
    source = data["source"]
    assert source["auth"] == {"kind": "header", "header": "X-Api-Key",
                              "token": "${ESTATE2_TOKEN}"}
    assert source["health_path"] == "/api/ping"
    assert source["envelope"] == {"code": "errcode", "ok": [0], "message": "errmsg"}
    assert source["feed"] == {"batch_rows": "result.rooms", "rows": "result.rooms",
                              "next_cursor": "result.cursor", "has_more": "result.more",
                              "since_param": "since", "page_size_param": "limit",
                              "page_size": 200}
    room = data["entities"]["occupancy"]
    assert (room["key"], room["updated"]) == ("id", "gengxin")
    assert room["rest"] == {"batch_path": "/api/rooms", "batch_method": "GET",
                            "batch_param": "ids", "changes_path": "/api/rooms/sync"}
    assert room["fields"] == {"roomCode": {"from": "fangjian", "type": "text",
                                           "group": "property"}}
    assert _groups(_blocks(made.text)["occupancy"]) == {
        "id": "property", "fangjian": "property", "zhuangtai": "property", "mianji": "property",
        "yezhu.xingming": "identity", "yezhu.dianhua": "contact", "gengxin": "property"}
    assert "#   - {role: yezhu, name: yezhu.xingming, phone: yezhu.dianhua}" in made.text
    assert [(p.line, p.key) for p in _refused(made.text)] == [
        (t.line, t.key) for t in made.todos] == [(9, "body.name")]


def test_what_a_description_does_not_show_is_left_and_refused(tmp_path: Path) -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "Widgets", "version": "1"},
           "components": {"securitySchemes": {"k": {"type": "apiKey", "in": "query",
                                                    "name": "appkey"}}},
           "paths": {"/widgets": {"get": {
               "parameters": [{"name": "page", "in": "query"}, {"name": "size", "in": "query"}],
               "responses": {"200": {"description": "ok", "content": {"application/json": {
                   "schema": {"type": "object", "properties": {
                       "code": {"type": "integer"}, "data": {"type": "object", "properties": {
                           "items": {"type": "array", "items": {"type": "object", "properties": {
                               "widgetId": {"type": "integer"},
                               "ownerMobile": {"type": "string"}}}}}}}}}}}}}}}}
    path = tmp_path / "widgets.json"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")  # YAML, under a .json name
    made = draft(str(path), slug="widgets")
    data = yaml.safe_load(made.text)
    assert data["source"]["auth"] == {"kind": "query", "param": "appkey",
                                      "token": "${WIDGETS_TOKEN}"}
    assert data["entities"]["widgets"]["key"] == "widgetId"
    assert _groups(_blocks(made.text)["widgets"]) == {"widgetId": "property",
                                                      "ownerMobile": "contact"}
    todo_keys = {t.key for t in made.todos}
    assert {"body.name_zh", "body.kind", "source.envelope.ok", "source.feed.rows",
            "source.feed.next_cursor", "source.feed.since_param", "source.feed.batch_rows",
            "entities.widgets", "entities.widgets.rest.batch_path",
            "entities.widgets.rest.changes_path"} <= todo_keys
    refused = _refused(made.text)
    assert refused and all(_declared(p, made.todos) for p in refused)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("text", "code", "words"), [
    ('{"openapi": "3.1.0", "info": {', "OPENAPI_INVALID", "not JSON: unexpected end"),
    ('swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n', "OPENAPI_INVALID",
     "Swagger 2.0 (OpenAPI 2), not OpenAPI 3"),
    ("openapi: 3.1.0\ninfo: {title: t\n", "OPENAPI_INVALID", "neither JSON nor YAML"),
    ("- a list\n", "OPENAPI_INVALID", "a JSON or YAML object is expected"),
    ('{"info": {"title": "t"}, "paths": {"/a": {}}}', "OPENAPI_INVALID", "no `openapi`"),
    ('{"openapi": "4.0.0", "info": {"title": "t"}, "paths": {"/a": {}}}', "OPENAPI_INVALID",
     "only OpenAPI 3.0 and 3.1"),
    ('{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {}}', "OPENAPI_INVALID",
     "no `paths`"),
    ('{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {"/a": {"$ref": "other.yaml#/a"}}}',
     "OPENAPI_INVALID", "points outside the document"),
    ('{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {"/a": {"$ref": "#/nothing"}}}',
     "OPENAPI_INVALID", "`$ref` '#/nothing' names nothing"),
    ('{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"parameters": 5}}}}',
     "OPENAPI_INVALID", "not shaped as OpenAPI 3 says"),
])
def test_an_unreadable_description_is_refused(tmp_path: Path, text: str, code: str,
                                              words: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "draft.yaml"
    result = runner.invoke(app, ["partner", "draft", "--openapi", str(path), "--slug", "x1",
                                 "--out", str(out)])
    assert result.exit_code == 2
    assert f"error [{code}]: {path}: " in result.output and words in result.output
    assert not out.exists()


def test_an_unreachable_description_is_refused(district: Any, tmp_path: Path) -> None:
    for source, words in ((f"http://127.0.0.1:{_free_port()}/openapi.json", "cannot be read"),
                          (f"{district.urls['property']}/openapi/v1/nothing.json", "HTTP 404"),
                          (str(tmp_path / "missing.json"), "No such file")):
        result = runner.invoke(app, ["partner", "draft", "--openapi", source, "--slug", "x1"])
        assert result.exit_code == 2, source
        assert f"error [OPENAPI_UNREACHABLE]: {source}: " in result.output and words in (
            result.output), result.output
    bad_slug = runner.invoke(app, ["partner", "draft", "--openapi", "x", "--slug", "X"])
    assert bad_slug.exit_code == 2 and "a slug is" in bad_slug.output


@pytest.mark.parametrize(("name", "description", "group"), [
    ("ownerName", "", "identity"), ("xm", "业主姓名", "identity"), ("idCardNo", "", "identity"),
    ("zjhm", "证件号码", "identity"), ("birthDate", "", "identity"), ("mobile", "", "contact"),
    ("lxdh", "联系电话", "contact"), ("homeAddress", "", "contact"), ("tel", "", "contact"),
    ("projectName", "小区名称", None), ("companyName", "", None), ("formerName", "小区曾用名", None),
    ("buildArea", "建筑面积", None), ("orderNo", "", None),
])
def test_what_looks_personal(name: str, description: str, group: str | None) -> None:
    assert personal(name, description) == group


@pytest.mark.parametrize("value", ["12345转办", "1", "yes", "null", "a: b", "#x", "${X_URL}",
                                   " lead", "-x", "?x", "自住", "data.list", "3#2-301"])
def test_a_scalar_reads_back_as_written(value: str) -> None:
    assert yaml.safe_load(f"k: {q(value)}") == {"k": value}
