"""What `gateway partner draft` recognises in an OpenAPI description (gateway.onboard.openapi),
as plain data: the API (`Api`), its auth, envelope and resources (`Resource`: feed, batch read,
key, update time, and every property of its rows, `Prop`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gateway.onboard.model import FieldType


@dataclass(frozen=True, slots=True)
class Prop:
    """One property of a resource's rows."""

    name: str
    type: FieldType
    description: str = ""
    enum: tuple[str, ...] = ()
    personal: str | None = None  # identity | contact: what its name or description suggests
    target: str | None = None  # the unified field it maps onto, when that can be told
    hint: str | None = None  # key | updated: what its x-juheli-* extension says
    optional: bool = True  # not required, or nullable


@dataclass(frozen=True, slots=True)
class Batch:
    path: str
    method: Literal["GET", "POST"]
    param: str
    max_items: int | None


@dataclass(frozen=True, slots=True)
class Feed:
    rows: str
    next_cursor: str | None
    has_more: str | None
    since_param: str
    page_size_param: str | None
    page_size: int


@dataclass(frozen=True, slots=True)
class Envelope:
    code: str
    ok: tuple[int | str, ...]  # empty: the description does not say
    message: str | None
    data: str


@dataclass(frozen=True, slots=True)
class Auth:
    kind: Literal["none", "bearer", "header", "query", "unsupported"]
    name: str | None = None  # the header or query parameter
    scheme: str | None = None  # its `securitySchemes` entry
    detail: str = ""


@dataclass(slots=True)
class Resource:
    name: str  # the path's resource segment, e.g. `houses`
    schema: str | None = None  # the rows' schema name, e.g. `House`
    props: list[Prop] = field(default_factory=list)
    entity: str | None = None  # the unified entity it is guessed to be
    entity_why: str = ""
    key: str | None = None
    key_why: str = ""
    updated: str | None = None
    feed: Feed | None = None
    changes_path: str | None = None
    batch: Batch | None = None
    batch_rows: str | None = None
    listing_path: str | None = None
    declared: str | None = None  # x-juheli-entity


@dataclass(slots=True)
class Api:
    title: str
    version: str
    source: str
    name_zh: str | None
    kind: str | None
    server: str | None
    auth: Auth
    health: str | None
    envelope: Envelope | None
    resources: list[Resource]
