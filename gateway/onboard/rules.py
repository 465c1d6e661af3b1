"""Checks of a definition that need more than its own shape: the unified model (entities,
fields, enums), the field groups, the value maps it names and the organization code.

The field-group rule: every mapped field names a group of gateway/auth/policy.py, or `public`;
`public` is allowed only for fields the unified model marks non-personal (codes, statuses,
categories, dates, amounts) — a name, phone, ID number, address or free text about a person
under `public` is refused, as is a group that does not exist.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

from stdnum.cn import uscc

from gateway.auth.policy import GROUPS
from gateway.onboard.model import Attr, Definition, Entity, Mapped
from gateway.onboard.unified import ENTITIES, UnifiedField

Found = tuple[tuple[str | int, ...], str]
PART = {"rest": "rest", "sql": "sql", "files": "file"}
_TEXT = (".csv", ".txt", ".tsv")


def check(definition: Definition) -> list[Found]:
    out = list(_body(definition))
    for name, entity in definition.entities.items():
        out.extend(_entity(definition, name, entity))
    return out


def _body(definition: Definition) -> Iterator[Found]:
    code = definition.body.org_code
    if code is not None and not uscc.is_valid(code):
        yield ("body", "org_code"), f"{code!r} is not a valid 统一社会信用代码"


def _entity(definition: Definition, name: str, entity: Entity) -> Iterator[Found]:
    here: tuple[str | int, ...] = ("entities", name)
    unified = ENTITIES.get(name)
    if unified is None:
        yield here, f"no unified entity {name!r} (known: {', '.join(sorted(ENTITIES))})"
        return
    part = PART[definition.source.kind]
    if getattr(entity, part) is None:
        yield here, f"a {definition.source.kind} source needs `{part}:` here"
    for other in set(PART.values()) - {part}:
        if getattr(entity, other) is not None:
            yield (*here, other), f"not read from a {definition.source.kind} source"
    if entity.file and entity.file.sheet is not None and entity.file.glob.lower().endswith(_TEXT):
        yield (*here, "file", "sheet"), "a sheet is an XLSX setting; this glob matches text files"
    for field, mapped in entity.fields.items():
        spec = unified.get(field)
        if spec is None:
            yield (*here, "fields", field), f"no field {field!r} in the unified {name}"
            continue
        yield from _field(definition, (*here, "fields", field), spec, mapped)
    for i, subject in enumerate(entity.subjects):
        for attr in ("name", "id_number", "phone", "address", "community"):
            value = getattr(subject, attr)
            if isinstance(value, Attr):
                yield from _attr((*here, "subjects", i, attr), value, entity)


def _field(definition: Definition, here: tuple[str | int, ...], spec: UnifiedField,
           mapped: Mapped) -> Iterator[Found]:
    if mapped.group == "public" and spec.personal:
        yield (*here, "group"), "personal data cannot be public: name its field group"
    elif mapped.group != "public" and mapped.group not in GROUPS:
        yield (*here, "group"), (f"no field group {mapped.group!r} "
                                 f"(groups: {', '.join(GROUPS)}, or public)")
    if mapped.template is not None:
        yield from _template((*here, "template"), mapped.template)
    if mapped.map is not None and mapped.map not in definition.value_maps:
        yield (*here, "map"), f"no value map {mapped.map!r}"
        return
    if spec.enum is None:
        return
    if mapped.const is not None:
        if mapped.const not in spec.enum:
            yield (*here, "const"), f"{mapped.const!r} is not one of {', '.join(spec.enum)}"
    elif mapped.map is None:
        yield here, f"an enum field ({', '.join(spec.enum)}) needs a value map"
    else:
        yield from _enum_map(definition, mapped.map, spec.enum)


def _enum_map(definition: Definition, name: str, enum: tuple[str, ...]) -> Iterator[Found]:
    vmap = definition.value_maps[name]
    for code, value in vmap.values.items():
        if value not in enum:
            yield (("value_maps", name, "values", code),
                   f"{value!r} is not one of {', '.join(enum)}")
    if vmap.default is not None and vmap.default not in enum:
        yield ("value_maps", name, "default"), f"{vmap.default!r} is not one of {', '.join(enum)}"


def _attr(here: tuple[str | int, ...], attr: Attr, entity: Entity) -> Iterator[Found]:
    given = [v for v in (attr.template, attr.const, attr.field) if v is not None]
    if len(given) != 1:
        yield here, "give exactly one of template, const, field"
    if attr.field is not None and attr.field not in entity.fields:
        yield (*here, "field"), f"no mapped field {attr.field!r} in this entity"
    if attr.template is not None:
        yield from _template((*here, "template"), attr.template)


def _template(here: tuple[str | int, ...], template: str) -> Iterator[Found]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        yield here, f"bad template: {exc}"
        return
    if not names or any(not n for n in names):
        yield here, "a template names its columns: `{列名}`"
