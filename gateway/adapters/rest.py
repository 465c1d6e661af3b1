"""Generic adapter for a partner that offers an HTTP JSON API.

Partners differ in envelopes, pagination and batch endpoints; a partner module describes those
in a `RestDialect` (how to ask, how to read the answer) and this class does the rest: splitting
keys into batches the partner accepts, sending them concurrently, putting answers back in key
order, and translating transport failures into the gateway's error tree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import orjson

from gateway.adapters.base import (
    Capabilities,
    ChangeBatch,
    Health,
    PartnerInfo,
    Record,
    Slot,
    Subject,
    chunks,
    order_slots,
    read_rows,
)
from gateway.errors import (
    AdapterError,
    PartnerDataInvalid,
    PartnerRejected,
    PartnerTimeout,
    PartnerUnavailable,
)


@dataclass(frozen=True, slots=True)
class Ask:
    """One request, relative to the partner's base URL."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[Mapping[str, Any]]
    cursor: str | None
    more: bool


class RestDialect(Protocol):
    """What a REST partner module knows: its wire format, per entity."""

    max_batch: int
    health_path: str

    def resource(self, entity: str) -> str: ...

    def batch_request(self, resource: str, keys: Sequence[str]) -> Ask: ...

    def batch_rows(self, body: Any) -> Sequence[Mapping[str, Any]]: ...

    def changes_request(self, resource: str, cursor: str | None) -> Ask: ...

    def changes_page(self, body: Any) -> Page: ...

    def error_message(self, body: Any) -> str | None: ...

    def key(self, entity: str, row: Mapping[str, Any]) -> str: ...

    def to_record(self, entity: str, row: Mapping[str, Any], read_at: datetime) -> Record: ...


RowMapper = Callable[[Mapping[str, Any]], tuple[dict[str, Any], Subject]]


class KeyedDialect:
    """The half of a dialect most partners share: per entity, a key field and a row mapper."""

    slug: str
    keys: Mapping[str, str]
    mappers: Mapping[str, RowMapper]
    updated_field: str

    def key(self, entity: str, row: Mapping[str, Any]) -> str:
        return str(row[self.keys[entity]])

    def to_record(self, entity: str, row: Mapping[str, Any], read_at: datetime) -> Record:
        data, subject = self.mappers[entity](row)
        updated = row.get(self.updated_field)
        return Record(self.slug, entity, self.key(entity, row), data, dict(row), read_at,
                      updated_at=None if updated is None else str(updated), subjects=(subject,))


class RestAdapter:
    def __init__(
        self, info: PartnerInfo, client: httpx.AsyncClient, dialect: RestDialect, entities: Sequence[str]
    ) -> None:
        self.info = info
        self._client = client
        self._dialect = dialect
        self._entities = tuple(entities)
        self.capabilities = Capabilities(self._entities, dialect.max_batch, live=True)

    def _resource(self, entity: str) -> str:
        if entity not in self._entities:
            raise PartnerRejected(self.info.slug, f"unknown entity {entity!r}")
        return self._dialect.resource(entity)

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        resource = self._resource(entity)
        parts = chunks(list(keys), self._dialect.max_batch)
        answers = await asyncio.gather(
            *(self._send(self._dialect.batch_request(resource, part)) for part in parts)
        )
        now = datetime.now(UTC)
        found: dict[str, Record | AdapterError] = {}
        for body in answers:
            try:
                rows = self._dialect.batch_rows(body)
            except (KeyError, TypeError, ValueError) as exc:
                raise PartnerDataInvalid(self.info.slug, f"unexpected answer shape: {exc!r}") from exc
            for row in rows:
                try:
                    key = self._dialect.key(entity, row)
                except (KeyError, TypeError) as exc:
                    raise PartnerDataInvalid(self.info.slug, f"{entity} row without key") from exc
                try:
                    found[key] = self._dialect.to_record(entity, row, now)
                except (KeyError, TypeError, ValueError) as exc:
                    # One unreadable row fails its own key, not the whole batch.
                    found[key] = PartnerDataInvalid(self.info.slug, f"unreadable {entity} {key}: {exc}")
        return order_slots(keys, found)

    async def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        resource = self._resource(entity)
        cursor = since
        while True:
            body = await self._send(self._dialect.changes_request(resource, cursor))
            page = self._changes_page(body)
            records, bad = read_rows(
                self.info.slug, entity, page.rows,
                lambda row, at: self._dialect.to_record(entity, row, at),
                read_at=datetime.now(UTC), key=lambda row: self._dialect.key(entity, row),
                page=f"page after {cursor or '-'}")
            cursor = page.cursor or cursor
            yield ChangeBatch(records, cursor, bad)
            if not page.more or not page.rows:
                return

    def _changes_page(self, body: Any) -> Page:
        """A feed page, or PARTNER_DATA_INVALID when the answer is not one (nothing is read from
        it, and the cursor stays where it was)."""
        try:
            page = self._dialect.changes_page(body)
            if isinstance(page.rows, str | bytes | Mapping) or not isinstance(page.rows, Sequence):
                raise TypeError(f"rows are a {type(page.rows).__name__}, not a list")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PartnerDataInvalid(self.info.slug, f"unexpected change page shape: {exc!r}",
                                     raw=orjson.dumps(body, default=str)[:4096].decode(
                                         errors="replace")) from exc
        return page

    def from_snapshot(self, entity: str, raw: Mapping[str, Any], read_at: datetime) -> Record:
        """The record for a native row the sync stored (the stale fallback)."""
        return self._dialect.to_record(entity, raw, read_at)

    async def health(self) -> Health:
        start = time.perf_counter()
        try:
            await self._send(Ask("GET", self._dialect.health_path))
        except AdapterError as exc:
            return Health(False, (time.perf_counter() - start) * 1000, str(exc))
        return Health(True, (time.perf_counter() - start) * 1000)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, ask: Ask) -> Any:
        slug = self.info.slug
        request = self._client.build_request(
            ask.method, ask.path, params=dict(ask.params) if ask.params else None, json=ask.json
        )
        try:
            response = await self._client.send(request)
        except httpx.TimeoutException as exc:
            raise PartnerTimeout(slug, f"no answer in time from {request.url.path}") from exc
        except httpx.TransportError as exc:
            raise PartnerUnavailable(slug, f"cannot reach partner: {exc!r}") from exc
        status = response.status_code
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError as exc:
            if status >= 500 or status == 429:  # a proxy's page, not the partner's answer
                raise PartnerUnavailable(slug, f"HTTP {status}",
                                         retry_after=retry_after_s(response)) from exc
            raise PartnerDataInvalid(slug, f"malformed JSON from {request.url.path}",
                                     raw=response.content[:4096].decode(errors="replace")) from exc
        message = self._dialect.error_message(body) if body is not None else None
        if status >= 500 or status == 429:  # down, or asking us to slow down: worth a retry
            raise PartnerUnavailable(slug, f"HTTP {status}: {message or ''}".strip(),
                                     retry_after=retry_after_s(response))
        if status >= 400 or message:
            raise PartnerRejected(slug, f"HTTP {status}: {message or 'rejected'}")
        return body


def retry_after_s(response: httpx.Response) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds: delta-seconds (fractions taken)
    or an HTTP date; None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
