"""A `RestDialect` read from a definition: paths, envelope and paging as data.

The feed is cursor-driven: the definition names the query parameter that carries the cursor,
the path in a page of the rows and of the cursor to resume from, and (optionally) of the "more
pages" flag. The cursor is opaque to Juheli, as the partner's own is. Paging and envelope are
the source's (a partner's API shares one); paths are each entity's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gateway.adapters.base import Record
from gateway.adapters.rest import Ask, Page
from gateway.onboard.mapping import EntityMapper, lookup
from gateway.onboard.model import Definition, RestEntity, RestSource


class DeclaredDialect:
    def __init__(self, definition: Definition) -> None:
        source = definition.source
        assert isinstance(source, RestSource)
        self.max_batch = source.max_batch
        self.health_path = source.health_path
        self._envelope = source.envelope
        self._feed = source.feed
        self._specs: dict[str, RestEntity] = {}
        self._mappers: dict[str, EntityMapper] = {}
        for name, entity in definition.entities.items():
            assert entity.rest is not None  # rules.check: a rest source's entities have `rest:`
            self._specs[name] = entity.rest
            self._mappers[name] = EntityMapper(definition, name, live=True)

    def resource(self, entity: str) -> str:
        return entity

    def batch_request(self, resource: str, keys: Sequence[str]) -> Ask:
        spec = self._specs[resource]
        if spec.batch_method == "GET":
            return Ask("GET", spec.batch_path, params={spec.batch_param: ",".join(keys)})
        return Ask("POST", spec.batch_path, json={spec.batch_param: list(keys)})

    def batch_rows(self, body: Any) -> Sequence[Mapping[str, Any]]:
        return _rows(body, self._feed.batch_rows)

    def changes_request(self, resource: str, cursor: str | None) -> Ask:
        params: dict[str, Any] = {self._feed.since_param: cursor or ""}
        if self._feed.page_size_param:
            params[self._feed.page_size_param] = self._feed.page_size
        return Ask("GET", self._specs[resource].changes_path, params=params)

    def changes_page(self, body: Any) -> Page:
        rows = _rows(body, self._feed.rows)
        cursor = lookup(body, self._feed.next_cursor)
        if self._feed.has_more is not None:
            more = bool(lookup(body, self._feed.has_more))
        else:
            more = len(rows) >= self._feed.page_size
        return Page(rows, None if cursor is None else str(cursor), more)

    def error_message(self, body: Any) -> str | None:
        if self._envelope is None or not isinstance(body, Mapping):
            return None
        code = lookup(body, self._envelope.code)
        if str(code) in {str(c) for c in self._envelope.ok}:
            return None
        message = lookup(body, self._envelope.message) if self._envelope.message else None
        return f"{code}: {message}" if message else f"code {code}"

    def key(self, entity: str, row: Mapping[str, Any]) -> str:
        return self._mappers[entity].key(row)

    def to_record(self, entity: str, row: Mapping[str, Any], read_at: datetime) -> Record:
        return self._mappers[entity].record(row, read_at)


def _rows(body: Any, path: str) -> Sequence[Mapping[str, Any]]:
    rows = lookup(body, path) if isinstance(body, Mapping) else None
    if not isinstance(rows, list):
        raise TypeError(f"no row list at {path!r} of the answer")
    return rows
