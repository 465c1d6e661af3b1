"""A partner's OpenAPI 3.0/3.1 description read for `gateway partner draft`: what it offers,
recognised by shape, as plain data (`Api`) that `gateway.onboard._openapi_draft` writes out as a draft
definition for a person to finish.

Recognised: the server, the auth (`securitySchemes`: bearer, API key in a header or the query),
a health path, an envelope (a wrapper with a code, a message and the data), and per resource
(the rows' schema, or the path): its change feed (a GET with an `updatedAfter`/`cursor`-like
parameter answering rows), its batch read (a POST taking an array of ids, or a GET with an
`ids`-like parameter), its key and update-time properties, and every property of its rows —
the unified field it maps onto when the name says so, whether it looks personal. A partner may
say it outright with `x-juheli-entity` (schema or operation), `x-juheli-key`,
`x-juheli-updated` and `x-juheli-field` (property). Only local `$ref`s are followed: nothing is
fetched but the description itself. A description that cannot be read is `OpenApiInvalid`
(`OpenApiUnreachable` when its URL or file does not answer): gateway/onboard/errors.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import httpx
import orjson
import yaml

from gateway.onboard import _openapi_shapes as shapes
from gateway.onboard._openapi_draft import Draft, Todo, render
from gateway.onboard._openapi_model import Api, Auth, Batch, Envelope, Feed, Prop, Resource
from gateway.onboard._openapi_props import is_chinese
from gateway.onboard.errors import OpenApiInvalid, OpenApiUnreachable

__all__ = ["Api", "Auth", "Batch", "Draft", "Envelope", "Feed", "OpenApiInvalid",
           "OpenApiUnreachable", "Prop", "Resource", "Spec", "Todo", "draft", "load", "recognise"]

Json = dict[str, Any]
METHODS = ("get", "post")


def draft(source: str, *, slug: str) -> Draft:
    """The draft definition of body `slug` from the OpenAPI description at `source`."""
    spec = load(source)
    try:
        api = recognise(spec)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # a list where OpenAPI has an object, a number where it has a list…
        raise OpenApiInvalid(f"{source}: a part of it is not shaped as OpenAPI 3 says "
                             f"({type(exc).__name__}: {exc})", source=source) from exc
    return render(api, slug=slug)


# --- reading -------------------------------------------------------------------------------------


def load(source: str, *, timeout_s: float = 10.0) -> Spec:
    """The OpenAPI 3 description at `source` (an http(s) URL or a file), checked to be one."""
    if re.match(r"^https?://", source, re.I):
        try:
            response = httpx.get(source, timeout=timeout_s, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise OpenApiUnreachable(f"{source}: cannot be read: {str(exc) or type(exc).__name__}",
                                     source=source) from exc
        if response.status_code >= 400:
            raise OpenApiUnreachable(f"{source}: HTTP {response.status_code}", source=source)
        text, base = response.text, str(response.url)
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise OpenApiUnreachable(f"{source}: cannot be read: {exc}", source=source) from exc
        base = None
    return Spec(_parse(text, source), source=source, base=base)


def _parse(text: str, source: str) -> Any:
    if text.lstrip().startswith(("{", "[")):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise OpenApiInvalid(f"{source}: not JSON: {exc.msg} at line {exc.lineno}, column "
                                 f"{exc.colno}", source=source) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise OpenApiInvalid(f"{source}: neither JSON nor YAML: "
                             f"{getattr(exc, 'problem', None) or exc}{where}",
                             source=source) from None


def _check(doc: Any, source: str) -> Json:
    def bad(why: str) -> OpenApiInvalid:
        return OpenApiInvalid(f"{source}: {why}", source=source)

    if not isinstance(doc, dict):
        raise bad(f"not an OpenAPI description: a JSON or YAML object is expected, "
                  f"not {type(doc).__name__}")
    if "swagger" in doc:
        raise bad(f"Swagger {doc['swagger']} (OpenAPI 2), not OpenAPI 3: convert it to "
                  "OpenAPI 3 first (for example with swagger2openapi)")
    version = doc.get("openapi")
    if version is None:
        raise bad("no `openapi` version field: not an OpenAPI 3 description")
    if not re.match(r"^3\.[01]\.\d+", str(version)):
        raise bad(f"`openapi: {version}`: only OpenAPI 3.0 and 3.1 are read")
    info = doc.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str):
        raise bad("no `info.title`: not a valid OpenAPI 3 description")
    if not isinstance(doc.get("paths"), dict) or not doc["paths"]:
        raise bad("no `paths`: the description offers nothing to read")
    return doc


class Spec:
    """A checked description and its local `$ref`s."""

    def __init__(self, doc: Any, *, source: str, base: str | None = None) -> None:
        self.doc = _check(doc, source)
        self.source = source
        self.base = base

    def deref(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (sibling keys win, as OpenAPI 3.1 reads them)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise OpenApiInvalid(f"{self.source}: `$ref` {ref!r} refers to itself",
                                     source=self.source)
            seen.add(ref)
            target = self._pointer(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if isinstance(target, dict) and siblings else target
        return node

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise OpenApiInvalid(f"{self.source}: `$ref` {ref!r} points outside the document: "
                                 "bundle it into one file first", source=self.source)
        found: Any = self.doc
        for part in ref[1:].split("/")[1:]:
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(found, dict) and part in found:
                found = found[part]
            elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
                found = found[int(part)]
            else:
                raise OpenApiInvalid(f"{self.source}: `$ref` {ref!r} names nothing",
                                     source=self.source)
        return found

    def ref_name(self, node: Any) -> str | None:
        """`House` of `{"$ref": "#/components/schemas/House"}`."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            return str(node["$ref"]).rsplit("/", 1)[-1]
        return None

    def properties(self, schema: Any) -> dict[str, Any]:
        """An object schema's properties, `allOf` parts merged (not dereferenced)."""
        schema = self.deref(schema)
        if not isinstance(schema, dict):
            return {}
        out: dict[str, Any] = {}
        for part in schema.get("allOf") or []:
            out.update(self.properties(part))
        props = schema.get("properties")
        if isinstance(props, dict):
            out.update(props)
        return out

    def required(self, schema: Any) -> set[str]:
        schema = self.deref(schema)
        if not isinstance(schema, dict):
            return set()
        out = {str(r) for r in schema.get("required") or []}
        for part in schema.get("allOf") or []:
            out |= self.required(part)
        return out

    def operations(self) -> Iterator[tuple[str, str, Json]]:
        """(path, method, operation) of every GET and POST, path-level parameters joined in."""
        for path, item in self.doc["paths"].items():
            item = self.deref(item)
            if not isinstance(item, dict) or not str(path).startswith("/"):
                continue
            shared = item.get("parameters") or []
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    own = [self.deref(p) for p in op.get("parameters") or []]
                    names = {(p.get("name"), p.get("in")) for p in own if isinstance(p, dict)}
                    params = own + [p for p in map(self.deref, shared) if isinstance(p, dict)
                                    and (p.get("name"), p.get("in")) not in names]
                    yield str(path), method, {**op, "parameters": params}

    def answer(self, op: Json) -> Any:
        """The JSON schema of an operation's success answer, if it gives one."""
        responses = op.get("responses") or {}
        for status in sorted(responses, key=str):
            if str(status).startswith("2"):
                return _json_schema(self.deref(responses[status]), self)
        return None

    def request(self, op: Json) -> Any:
        body = self.deref(op.get("requestBody"))
        return _json_schema(body, self) if isinstance(body, dict) else None

    def server(self) -> str | None:
        servers = self.doc.get("servers") or []
        url = servers[0].get("url") if servers and isinstance(servers[0], dict) else None
        if not isinstance(url, str):
            return None
        for name, var in (servers[0].get("variables") or {}).items():
            if isinstance(var, dict) and "default" in var:
                url = url.replace("{" + str(name) + "}", str(var["default"]))
        return urljoin(self.base, url) if self.base else url


def _json_schema(holder: Any, spec: Spec) -> Any:
    content = holder.get("content") if isinstance(holder, dict) else None
    if not isinstance(content, dict):
        return None
    kinds = sorted(content, key=lambda k: (k != "application/json", "json" not in k))
    return spec.deref((content[kinds[0]] or {}).get("schema")) if kinds else None


# --- recognising ---------------------------------------------------------------------------------


def recognise(spec: Spec) -> Api:
    """What the description offers, as far as its shapes tell."""
    info = spec.doc["info"]
    title = str(info["title"]).strip()
    name_zh = next((str(v) for k, v in info.items()
                    if re.match(r"^x-.*(name|title)[-_]?zh$", str(k), re.I) and v), None)
    if name_zh is None and is_chinese(title):
        name_zh = title
    envelope: Envelope | None = None
    health: str | None = None
    found: dict[str, Resource] = {}
    for path, method, op in spec.operations():
        if health is None and method == "get" and shapes.is_health(path):
            health = path
            continue
        answer = spec.answer(op)
        envelope = envelope or shapes.envelope(spec, answer)
        shapes.classify(spec, path, method, op, answer, envelope, found)
    resources = list(found.values())
    for resource in resources:
        shapes.key_and_updated(resource)
    shapes.match_entities(resources)
    kind = next((str(v) for k, v in info.items() if str(k).lower() == "x-juheli-kind"), None)
    return Api(title=title, version=str(info.get("version", "")), source=spec.source,
               name_zh=name_zh, kind=kind or shapes.body_kind(resources),
               server=spec.server(), auth=_auth(spec), health=health, envelope=envelope,
               resources=resources)


def _auth(spec: Spec) -> Auth:
    components = spec.doc.get("components") or {}
    schemes = {str(k): spec.deref(v) for k, v in (components.get("securitySchemes") or {}).items()}
    if not schemes:
        return Auth("none", detail="the description declares no security scheme")
    wanted = [str(n) for req in spec.doc.get("security") or [] for n in req]
    if not wanted:
        wanted = [str(n) for _, _, op in spec.operations() for req in op.get("security") or []
                  for n in req]
    for name in [*wanted, *schemes]:
        scheme = schemes.get(name)
        if isinstance(scheme, Mapping):
            return _scheme(name, scheme)
    return Auth("none", detail="no security scheme applies")


def _scheme(name: str, scheme: Mapping[str, Any]) -> Auth:
    kind = str(scheme.get("type", "")).lower()
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return Auth("bearer", scheme=name, detail=f"securitySchemes.{name}: HTTP bearer")
    if kind == "apikey" and scheme.get("in") in ("header", "query"):
        where = str(scheme["in"])
        return Auth("header" if where == "header" else "query", name=str(scheme.get("name")),
                    scheme=name, detail=f"securitySchemes.{name}: API key in the {where}")
    how = f"{kind} {scheme.get('scheme') or scheme.get('in') or ''}".strip()
    return Auth("unsupported", scheme=name,
                detail=f"securitySchemes.{name} is {how}, which the format has no kind for")
