"""What an OpenAPI description's shapes say (gateway.onboard.openapi): an envelope, a change
feed, a batch read, the resources, their keys and update times, the unified entity each is.

Every rule errs on the safe side: a resource is matched to a unified entity only on its name or
on three properties named as the entity's fields, each entity at most once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gateway.onboard._openapi_model import Batch, Envelope, Feed, Resource
from gateway.onboard._openapi_props import norm, props_of, singular, tokens
from gateway.onboard.unified import ENTITIES

if TYPE_CHECKING:
    from gateway.onboard.openapi import Spec

Json = dict[str, Any]


# --- envelope, rows, feed, batch ------------------------------------------------------------------

_CODE = {"code", "errcode", "errorcode", "retcode", "ret", "statuscode", "resultcode", "errno"}
_MESSAGE = {"message", "msg", "errmsg", "errormessage", "errormsg", "desc", "error", "info"}
_DATA = {"data", "result", "results", "payload", "body", "obj", "response"}
_ROWS = {"list", "rows", "items", "records", "data", "results", "content", "entries", "values"}


def _named(props: dict[str, Any], names: set[str]) -> str | None:
    return next((k for k in props if norm(k) in names), None)


def envelope(spec: Spec, answer: Any) -> Envelope | None:
    """A wrapper `{code, message, data}` around every answer, and the codes meaning success."""
    props = spec.properties(answer)
    code, data = _named(props, _CODE), _named(props, _DATA)
    if code is None or data is None:
        return None
    schema = spec.deref(props[code])
    schema = schema if isinstance(schema, dict) else {}
    if "const" in schema:
        ok: tuple[int | str, ...] = (schema["const"],)
    elif schema.get("enum"):
        ok = tuple(schema["enum"])
    else:
        said = [schema.get("default"), schema.get("example"), *(schema.get("examples") or [])]
        ok = tuple(v for v in said if isinstance(v, int | str) and not isinstance(v, bool))[:1]
    return Envelope(code, ok, _named(props, _MESSAGE), data)


def _array_of_objects(spec: Spec, schema: Any) -> bool:
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return False
    items = spec.deref(schema.get("items"))
    return isinstance(items, dict) and (items.get("type") == "object" or "properties" in items
                                        or "allOf" in items)


def rows(spec: Spec, schema: Any, depth: int = 2) -> tuple[str, Any, Json] | None:
    """(path, items schema, the object holding them) of the row list in an answer."""
    schema = spec.deref(schema)
    if not isinstance(schema, dict):
        return None
    props = spec.properties(schema)
    names = sorted(props, key=lambda k: norm(k) not in _ROWS)
    for name in names:
        sub = spec.deref(props[name])
        if _array_of_objects(spec, sub):
            return name, sub["items"], schema
    for name in names if depth > 1 else []:
        found = rows(spec, props[name], depth - 1)
        if found is not None:
            return f"{name}.{found[0]}", found[1], found[2]
    return None


_CURSOR = re.compile(r"cursor|since|after|synctoken|pagetoken|continuation|lastupdate|lastmodif")
_PAGE_SIZE = {"pagesize", "perpage", "limit", "size", "pagelimit", "count", "maxresults",
              "batchsize", "rows", "ps"}
_PAGE_NUMBER = {"page", "pagenum", "pageno", "pagenumber", "pageindex", "offset", "start",
                "current", "pn"}
_MORE = {"hasmore", "more", "hasnext", "hasnextpage", "morepages", "hasmorepages"}


def _query(op: Json) -> list[Json]:
    return [p for p in op.get("parameters") or [] if isinstance(p, dict) and p.get("in") == "query"]


def _page_size(param: Json | None) -> int:
    schema = param.get("schema") if param else None
    schema = schema if isinstance(schema, dict) else {}
    size = schema.get("default")
    size = size if isinstance(size, int) and size > 0 else 500
    high = schema.get("maximum")
    return min(size, high if isinstance(high, int) and high > 0 else size, 10_000)


def feed(params: list[Json], path: str, holder: Json, spec: Spec) -> Feed | None:
    """The change feed's paging, when a GET takes a cursor-like parameter."""
    since = next((p for p in params if _CURSOR.search(norm(str(p.get("name"))))
                  and norm(str(p.get("name"))) not in _PAGE_NUMBER), None)
    if since is None:
        return None
    size = next((p for p in params if norm(str(p.get("name"))) in _PAGE_SIZE), None)
    parent = path.rsplit(".", 1)[0] + "." if "." in path else ""
    props = spec.properties(holder)
    scalars = {k: spec.deref(v) for k, v in props.items()}
    wanted = norm(str(since["name"]))
    cursor = next((k for k, v in scalars.items() if wanted in norm(k) and not _flag(v)), None)
    cursor = cursor or next((k for k, v in scalars.items() if not _flag(v) and re.search(
        r"next|cursor|token|continuation", norm(k))), None)
    more = next((k for k, v in scalars.items() if _flag(v) and norm(k) in _MORE), None)
    return Feed(rows=path, next_cursor=parent + cursor if cursor else None,
                has_more=parent + more if more else None, since_param=str(since["name"]),
                page_size_param=str(size["name"]) if size else None, page_size=_page_size(size))


def _flag(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "boolean"


def _ids_score(name: str) -> int:
    n = norm(name)
    if n in ("ids", "keys", "idlist", "keylist"):
        return 3
    if n.endswith(("ids", "keys")):
        return 2
    return 1 if n.endswith(("nos", "codes", "numbers")) else 0


def batch(spec: Spec, path: str, method: str, op: Json) -> Batch | None:
    """A read of many rows by their keys: a POST taking an array of ids, or a GET taking them."""
    if method == "get":
        found = max(_query(op), key=lambda p: _ids_score(str(p.get("name"))), default=None)
        if found is None or not _ids_score(str(found.get("name"))):
            return None
        schema = spec.deref(found.get("schema")) or {}
        return Batch(path, "GET", str(found["name"]), _int(schema.get("maxItems")))
    body = spec.request(op)
    branches = [body, *[b for b in (body or {}).get("oneOf") or (body or {}).get("anyOf") or []]]
    best: tuple[int, str, int | None] | None = None
    for branch in branches:
        for name, node in spec.properties(branch).items():
            schema = spec.deref(node)
            items = spec.deref(schema.get("items")) if isinstance(schema, dict) else None
            if not isinstance(items, dict) or items.get("type") not in ("string", "integer"):
                continue
            score = _ids_score(str(name))
            if score and (best is None or score > best[0]):
                best = (score, str(name), _int(schema.get("maxItems")))
    return Batch(path, "POST", best[1], best[2]) if best else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- resources ------------------------------------------------------------------------------------

_OP_WORD = re.compile(r"^(changes?|sync|delta|feed|updates|incremental|batch\w*|query|search|"
                      r"bulk|byids|getbyids|multi\w*|events|list)$", re.I)
_HEALTH = {"health", "healthz", "healthcheck", "ping", "alive", "liveness", "livez", "ready",
           "readyz", "readiness", "heartbeat", "status"}


def is_health(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "{" not in path and norm(last) in _HEALTH


def stem(path: str) -> str:
    """`/openapi/v1/houses` of `/openapi/v1/houses/changes` and of itself."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) > 1 and _OP_WORD.match(parts[-1]):
        parts = parts[:-1]
    return "/" + "/".join(parts)


def classify(spec: Spec, path: str, method: str, op: Json, answer: Any,
             wrapper: Envelope | None, found: dict[str, Resource]) -> None:
    """Add what operation `op` offers to the resource it serves (feed, batch or listing)."""
    props = spec.properties(answer)
    prefix = ""
    if wrapper is not None and wrapper.data in props:
        answer, prefix = props[wrapper.data], wrapper.data + "."
    located = rows(spec, answer)
    if located is None:
        return
    where, items, holder = located
    where = prefix + where
    params = _query(op)
    paging = feed(params, where, holder, spec) if method == "get" else None
    read = None if paging else batch(spec, path, method, op)
    listing = method == "get" and any(norm(str(p.get("name"))) in _PAGE_NUMBER | _PAGE_SIZE
                                      for p in params)
    if paging is None and read is None and not listing:
        return
    resource = _resource(spec, found, path, items, op)
    if paging is not None and resource.feed is None:
        resource.feed, resource.changes_path = paging, path
    elif read is not None and resource.batch is None:
        resource.batch, resource.batch_rows = read, where
    elif listing and resource.listing_path is None:
        resource.listing_path = path
    known = {p.name for p in resource.props}
    resource.props.extend(p for p in props_of(spec, items) if p.name not in known)


def _resource(spec: Spec, found: dict[str, Resource], path: str, items: Any,
              op: Json) -> Resource:
    schema = spec.ref_name(items)
    base = stem(path)
    mine = found.get(base) or next((r for r in found.values() if schema and r.schema == schema),
                                   None)
    if mine is None:
        name = next((p for p in reversed(base.split("/")) if p and not p.startswith("{")), base)
        mine = found[base] = Resource(name, schema)
    mine.schema = mine.schema or schema
    declared = op.get("x-juheli-entity") or (spec.deref(items) or {}).get("x-juheli-entity")
    if isinstance(declared, str):
        mine.declared = declared
    return mine


_UPDATED = ("updatetime", "updatedat", "updatedtime", "updatedate", "updatedon", "modifytime",
            "modifiedat", "modifiedtime", "lastmodified", "lastupdated", "lastupdatetime",
            "gmtmodified", "mtime", "updated", "modified")
_ID_TOKENS = {"id", "no", "code", "number", "num", "sn", "key", "uuid", "guid"}


def key_and_updated(resource: Resource) -> None:
    """Guess the rows' key (x-juheli-key, `id`, else the first id-like property, preferring one
    named after the resource and never null) and update time."""
    props = resource.props
    hinted = next((p.name for p in props if p.hint == "key"), None)
    idlike = [(i, p) for i, p in enumerate(props) if p.type in ("text", "integer")
              and p.personal is None and tokens(p.name)[-1:] and tokens(p.name)[-1] in _ID_TOKENS]
    own = singular(resource.name)
    ranked = sorted(idlike, key=lambda ip: (norm(ip[1].name) != "id",
                                            not norm(ip[1].name).startswith(own),
                                            ip[1].optional, ip[0]))
    if hinted:
        resource.key, resource.key_why = hinted, "x-juheli-key"
    elif ranked:
        best = resource.key = ranked[0][1].name
        why = ("named id" if norm(best) == "id" else "id-like, named after the resource"
               if norm(best).startswith(own) else "the first id-like property")
        others = [p.name for _, p in ranked[1:]]
        resource.key_why = why + (f" (others: {', '.join(others)})" if others else "")
    by_name = {norm(p.name): p.name for p in props}
    resource.updated = next((p.name for p in props if p.hint == "updated"), None) or next(
        (by_name[n] for n in _UPDATED if n in by_name), None)


def _name_matches(resource: Resource, entity: str) -> bool:
    words = set(entity.split("_"))
    names = {singular(resource.name), singular(norm(resource.schema or ""))}
    return bool(names & (words | {norm(entity)}))


def match_entities(resources: list[Resource]) -> None:
    """Each resource's unified entity: declared, else by name or by three shared field names,
    each entity at most once; then each property's unified field when its name is one."""
    taken = {r.declared for r in resources if r.declared}
    scored = []
    for r in resources:
        if r.declared:
            r.entity, r.entity_why = r.declared, "x-juheli-entity"
            continue
        names = {norm(p.name) for p in r.props}
        for entity, fields in ENTITIES.items():
            overlap = len(names & {norm(f) for f in fields})
            if _name_matches(r, entity):
                scored.append((10 + overlap, r.name, r, entity, "its name"))
            elif overlap >= 3:
                scored.append((overlap, r.name, r, entity, f"{overlap} properties named as its "
                               "fields"))
    for _, _, r, entity, why in sorted(scored, key=lambda s: (-s[0], s[1])):
        if r.entity is None and entity not in taken:
            r.entity, r.entity_why = entity, why
            taken.add(entity)
    for r in resources:
        own = {norm(f): f for f in ENTITIES.get(r.entity or "", {})}
        used: set[str] = set()
        for i, p in enumerate(r.props):
            target = p.target or own.get(norm(p.name))
            if target is not None and target not in used:
                used.add(target)
                r.props[i] = replace(p, target=target)


_KINDS = {"property_company": {"project", "occupancy", "repair_order"},
          "owners_committee": {"owner", "owner_vote"},
          "mass_organization": {"rights_case", "hardship_file", "volunteer", "pairing"}}


def body_kind(resources: list[Resource]) -> str | None:
    entities = {r.entity for r in resources}
    return next((kind for kind, own in _KINDS.items() if own & entities), None)
