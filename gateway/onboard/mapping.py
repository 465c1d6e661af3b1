"""The mapping engine: one native row → one `Record`, as a definition's entity says.

Each unified field comes from a column (or JSON path `a.b`), a constant or a template, is
coerced to its type (dates through the linkage normalizers, so `2026年5月12日` and `2026/5/12`
both become `2026-05-12`) and, if it names one, looked up in a value map. A row that breaks the
mapping — a required field blank, a number that is not one, a code with no entry in a map whose
policy is `quarantine` — raises `Unmappable` (a ValueError) with the reason; the adapters'
feeds turn it into a quarantined row, never a dropped one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from gateway.adapters.base import Record, Subject
from gateway.adapters.partners._values import split_list, text
from gateway.linkage.normalize.dates import parse_date
from gateway.onboard.model import Attr, AttrSpec, Definition, Mapped, SubjectSpec, ValueMap

_UNITS = re.compile(r"[\s,，元㎡平方米]")


class Unmappable(ValueError):
    """A row the definition cannot map; the message is the quarantine reason."""


def lookup(row: Mapping[str, Any], path: str) -> Any:
    """A column by its exact name, else a JSON path `a.b.c`; None when absent."""
    if path in row:
        return row[path]
    found: Any = row
    for part in path.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        raise ValueError("a flag")
    if isinstance(value, int | float):
        return float(value)
    out = text(value)
    return None if out is None else float(_UNITS.sub("", out))


def _integer(value: Any) -> int | None:
    number = _number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _date(value: Any) -> str | None:
    if text(value) is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    parsed = value if isinstance(value, date) else parse_date(value)
    if parsed is None:
        raise ValueError("not a date")
    return parsed.isoformat()


def _datetime(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    out = text(value)
    if out is None:
        return None
    try:
        return datetime.fromisoformat(out.replace("/", "-")).isoformat()
    except ValueError:
        return _date(out)  # a bare date is a datetime's day


COERCE: Mapping[str, Callable[[Any], Any]] = {
    "text": text, "number": _number, "integer": _integer, "date": _date, "datetime": _datetime,
    "list": split_list, "raw": lambda v: v,
}


def fill(template: str, row: Mapping[str, Any]) -> str | None:
    """The template with each `{列}` replaced; None when a column it names is blank (an address
    made of half its parts would link to the wrong home)."""
    values: dict[str, str] = {}
    for name in re.findall(r"\{([^{}]+)\}", template):
        value = text(lookup(row, name))
        if value is None:
            return None
        values[name] = value
    return template.format_map(values)


class EntityMapper:
    """The mapping of one entity of one definition."""

    def __init__(self, definition: Definition, entity: str, *, live: bool) -> None:
        self.slug = definition.body.slug
        self.entity = entity
        self.spec = definition.entities[entity]
        self.maps = definition.value_maps
        self.live = live

    def key(self, row: Mapping[str, Any]) -> str:
        key = text(lookup(row, self.spec.key))
        if key is None:
            raise KeyError(self.spec.key)
        return key

    def data(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: self._field(name, mapped, row) for name, mapped in self.spec.fields.items()}

    def record(self, row: Mapping[str, Any], read_at: datetime) -> Record:
        data = self.data(row)
        updated = lookup(row, self.spec.updated) if self.spec.updated else None
        subjects = tuple(s for s in (self._subject(spec, row, data)
                                     for spec in self.spec.subjects) if s is not None)
        return Record(self.slug, self.entity, self.key(row), data, _plain(row), read_at,
                      live=self.live, updated_at=None if updated is None else str(updated),
                      subjects=subjects)

    def _field(self, name: str, mapped: Mapped, row: Mapping[str, Any]) -> Any:
        if mapped.const is not None:
            return mapped.const
        native = (fill(mapped.template, row) if mapped.template is not None
                  else lookup(row, mapped.from_ or ""))
        try:
            value = COERCE[mapped.type](native)
        except (TypeError, ValueError) as exc:
            raise Unmappable(f"{name}: {native!r} is not a {mapped.type} ({exc})") from None
        if mapped.map is not None and value is not None:
            value = self._mapped(name, mapped.map, self.maps[mapped.map], value)
        if value is None and mapped.required:
            raise Unmappable(f"{name}: required, and {mapped.from_ or mapped.template!r} is blank")
        return value

    @staticmethod
    def _mapped(field: str, name: str, vmap: ValueMap, value: Any) -> Any:
        found = vmap.values.get(str(value))
        if found is not None:
            return found
        if vmap.unmapped == "quarantine":
            raise Unmappable(f"{field}: {value!r} has no entry in value map {name!r}")
        return vmap.default  # None for 'null'

    def _subject(self, spec: SubjectSpec, row: Mapping[str, Any],
                 data: Mapping[str, Any]) -> Subject | None:
        if spec.when is not None and text(lookup(row, spec.when)) is None:
            return None

        def attr(value: AttrSpec | None) -> Any:
            if value is None:
                return None
            if isinstance(value, str):
                return lookup(row, value)  # as the partner wrote it: linkage normalizes
            return _attr(value, row, data)

        community = attr(spec.community)
        return Subject(name=attr(spec.name), id_number=attr(spec.id_number),
                       phone=attr(spec.phone), address=attr(spec.address),
                       community=None if community is None else str(community), role=spec.role)


def _attr(value: Attr, row: Mapping[str, Any], data: Mapping[str, Any]) -> Any:
    if value.template is not None:
        return fill(value.template, row)
    if value.field is not None:
        return data.get(value.field)
    return value.const


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """The native row as the sync stores it (`source_records.raw`): JSON values kept, the rest
    (dates and times from a workbook or a database) as text."""
    return {str(k): (v if v is None or isinstance(v, _JSON) else str(v)) for k, v in row.items()}


_JSON = (str, int, float, bool, dict, list)
