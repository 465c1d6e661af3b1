"""The properties of a resource's rows (gateway.onboard.openapi): each one's field type, and
whether it looks personal — on a hint in its name (`ownerName`, `idCardNo`, `mobile`, pinyin
`xingming`, `dianhua`) or its description (姓名, 证件, 电话, 住址…). The rule errs on the safe
side: a property named like a person's data is personal unless it plainly names a thing
(`projectName`, 小区名称)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gateway.onboard._openapi_model import Prop
from gateway.onboard.model import FieldType

if TYPE_CHECKING:
    from gateway.onboard.openapi import Spec

Json = dict[str, Any]


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def is_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


# --- personal-looking properties ------------------------------------------------------------------

_IDENTITY = ("idcard", "idno", "idnumber", "idnum", "certno", "certnum", "certificate",
             "passport", "sfz", "shenfen", "birth", "gender", "ethnic", "realname", "xingming")
_IDENTITY_TOKENS = {"name", "sex", "dob", "nation", "xm", "age"}
_CONTACT = ("phone", "mobile", "email", "wechat", "weixin", "address", "dianhua", "shouji",
            "dizhi", "zhuzhi", "contact", "telephone")
_CONTACT_TOKENS = {"tel", "mail", "addr", "qq", "fax"}
# A name of a thing, not of a person: `projectName`, `companyName`…
_THINGS = {"project", "company", "compound", "community", "estate", "org", "organization",
           "dept", "department", "building", "street", "road", "district", "team", "file",
           "product", "type", "category", "status", "shop", "store", "channel", "source",
           "service", "item", "matter", "event", "group", "unit", "school", "app", "host"}
_IDENTITY_ZH = re.compile(r"姓名|名字|身份证|证件|出生|生日|性别|民族|护照|户籍|曾用名")
_CONTACT_ZH = re.compile(r"电话|手机|联系方式|联系人|地址|住址|邮箱|微信")
_THING_ZH = re.compile(r"(小区|项目|公司|企业|单位|机构|部门|社区|街道|楼栋)的?(名称|曾用名|案名)")


def personal(name: str, description: str) -> str | None:
    """`identity`, `contact` or None: what a property's name or description suggests."""
    words, joined = tokens(name), norm(name)
    thing = _THING_ZH.search(description) is not None or bool(_THINGS & set(words))
    description = _THING_ZH.sub("", description)
    if _IDENTITY_ZH.search(description) or any(w in joined for w in _IDENTITY):
        return "identity"
    if _CONTACT_ZH.search(description) or any(w in joined for w in _CONTACT):
        return "contact"
    if _CONTACT_TOKENS & set(words):
        return "contact"
    if _IDENTITY_TOKENS & set(words):
        return None if thing and "name" in words else "identity"
    return None


# --- types ----------------------------------------------------------------------------------------

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _types(spec: Spec, schema: Json) -> tuple[list[str], bool, Json]:
    """The non-null JSON types of a schema, whether it allows null, and the branch that said."""
    given = schema.get("type")
    types = [given] if isinstance(given, str) else [str(t) for t in given or []]
    nullable = bool(schema.get("nullable")) or "null" in types
    types = [t for t in types if t != "null"]
    said = schema
    for branch in schema.get("anyOf") or schema.get("oneOf") or []:
        sub = spec.deref(branch)
        if not isinstance(sub, dict):
            continue
        inner, null, _ = _types(spec, sub)
        nullable = nullable or null or sub.get("type") == "null"
        if inner and not types:
            types, said = inner, sub
    return types, nullable, said


def field_type(spec: Spec, schema: Json) -> tuple[FieldType, tuple[str, ...], bool]:
    """Our field type of a property schema, its enum values, and whether it may be null."""
    types, nullable, said = _types(spec, schema)
    enum = tuple(dict.fromkeys(str(v) for v in said.get("enum") or schema.get("enum") or []
                               if v is not None))
    kind = types[0] if types else "string"
    if kind == "integer":
        return "integer", enum, nullable
    if kind == "number":
        return "number", enum, nullable
    if kind == "boolean" or kind == "object":
        return "raw", enum, nullable
    if kind == "array":
        items = spec.deref(said.get("items"))
        scalar = isinstance(items, dict) and items.get("type") in ("string", "integer", "number")
        return ("list" if scalar else "raw"), enum, nullable
    fmt = str(said.get("format") or "")
    examples = [said.get("example"), *(said.get("examples") or [])]
    sample = next((e for e in examples if isinstance(e, str)), "")
    if fmt == "date-time" or _DATETIME.match(sample):
        return "datetime", enum, nullable
    if fmt == "date" or _DATE.match(sample):
        return "date", enum, nullable
    return "text", enum, nullable


def props_of(spec: Spec, item: Any, prefix: str = "", depth: int = 2) -> list[Prop]:
    """Every property of a row schema; a nested object's as dotted paths (`owner.name`)."""
    required = spec.required(item)
    out = []
    for key, node in spec.properties(item).items():
        schema, name = spec.deref(node), prefix + str(key)
        if not isinstance(schema, dict):
            continue
        if depth > 1 and spec.properties(schema) and schema.get("type") in ("object", None):
            out.extend(props_of(spec, schema, name + ".", depth - 1))
            continue
        ftype, enum, nullable = field_type(spec, schema)
        description = str(schema.get("description") or schema.get("title") or "")
        hint = next((h for h in ("key", "updated") if schema.get(f"x-juheli-{h}") is True), None)
        target = schema.get("x-juheli-field")
        out.append(Prop(name, ftype, description, enum, personal(name, description),
                        str(target) if target else None, hint,
                        nullable or str(key) not in required))
    return out
