"""The partner definition format (version 1): one YAML file per body, as a pydantic model.

The model is the format's single source of truth: the loader validates files with it, and its
JSON Schema (`gateway partner schema`, checked in as docs/partner-definition.schema.json) is
what editors and other tools validate against. Every model forbids unknown keys, so a typo is
an error naming its line, never a silently ignored setting. Checks that need the unified model
(which fields exist, their enums, which are personal) are in `gateway.onboard.rules`.
"""

from __future__ import annotations

import codecs
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z][a-z0-9_-]{1,39}$"
IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"  # SQL identifiers: interpolated, so kept to plain names
FieldType = Literal["text", "number", "integer", "date", "datetime", "list", "raw"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Body(_Strict):
    """Who the partner is."""

    slug: str = Field(pattern=SLUG, description="Stable id: store rows and ids carry it")
    name: str = Field(min_length=1, description="Name in English")
    name_zh: str = Field(min_length=1, description="The body's name (中文)")
    kind: str = Field(min_length=1, description="What kind of body: property_company, "
                      "owners_committee, mass_organization…")
    org_code: str | None = Field(default=None, description="统一社会信用代码, checked if given")


class BearerAuth(_Strict):
    kind: Literal["bearer"]
    token: str = Field(description="The token; `${VAR}` reads it from the environment")


class HeaderAuth(_Strict):
    kind: Literal["header"]
    header: str
    token: str


class QueryAuth(_Strict):
    kind: Literal["query"]
    param: str
    token: str


class NoAuth(_Strict):
    kind: Literal["none"]


Auth = Annotated[BearerAuth | HeaderAuth | QueryAuth | NoAuth, Field(discriminator="kind")]


class Envelope(_Strict):
    """Where a JSON answer says whether it succeeded."""

    code: str = Field(description="Path of the status code in the answer, e.g. `code`")
    ok: list[int | str] = Field(min_length=1, description="Codes that mean success")
    message: str | None = Field(default=None, description="Path of the error message")


class Feed(_Strict):
    """How the partner pages its answers: the same envelope for every resource."""

    batch_rows: str = Field(description="Path of the row list in a batch answer, e.g. data.list")
    rows: str = Field(description="Path of the row list in a change-feed page")
    next_cursor: str = Field(description="Path of the cursor to resume from in a feed page")
    since_param: str = Field(description="Query parameter carrying the cursor")
    has_more: str | None = Field(default=None, description="Path of the 'more pages' flag; "
                                 "without it, a full page means more")
    page_size_param: str | None = None
    page_size: int = Field(default=500, ge=1, le=10_000)


class RestSource(_Strict):
    kind: Literal["rest"]
    base_url: str = Field(description="`http(s)://…`; `${VAR}` allowed")
    auth: Auth = Field(default_factory=lambda: NoAuth(kind="none"))
    health_path: str = "/"
    max_batch: int = Field(default=100, ge=1, le=10_000)
    timeout_ms: int | None = Field(default=None, ge=50)
    envelope: Envelope | None = None
    feed: Feed


class SqlSource(_Strict):
    kind: Literal["sql"]
    dsn: str = Field(description="postgresql://… ; `${VAR}` allowed")
    max_batch: int = Field(default=1000, ge=1, le=10_000)
    page_size: int = Field(default=2000, ge=1, le=50_000)


# The codecs the bodies' files come in (docs/onboarding.md); each is a Python text codec, named
# as Python names it, so the JSON Schema's list and the loader agree on the spelling.
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gbk", "gb2312", "gb18030", "big5", "big5hkscs")


def _codec(value: str) -> str:
    if value == "auto" or value in ENCODINGS:
        return value
    choices = f"auto or one of {', '.join(ENCODINGS)}"
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown codec {value!r}: give {choices}") from None
    if info.name in ENCODINGS:
        raise ValueError(f"{value!r} is Python's {info.name!r}: write it so")
    raise ValueError(f"{value!r} is not an encoding bodies' files come in: give {choices}")


Encoding = Annotated[str, AfterValidator(_codec)]


class FileSource(_Strict):
    kind: Literal["files"]
    folder: str = Field(description="The drop folder; `${VAR}` allowed")
    layout: Literal["monthly", "flat"] = Field(
        default="monthly", description="monthly: `<folder>/<YYYY-MM>/<file>`, the newest month "
        "is current; flat: the files lie in the folder itself")
    encoding: Encoding = Field(
        default="auto", json_schema_extra={"enum": ["auto", *ENCODINGS]},
        description="CSV files' encoding. auto: detected per file (UTF-8 with or without BOM, "
        "GB18030 which reads GBK, UTF-16 with BOM); a codec: every file decodes whole in it, "
        "else it is quarantined (never read as mojibake)")


Source = Annotated[RestSource | SqlSource | FileSource, Field(discriminator="kind")]


class RestEntity(_Strict):
    """Where one entity is read over REST. Paths are relative to the base URL."""

    batch_path: str = Field(description="Batch read by keys")
    batch_method: Literal["GET", "POST"] = "POST"
    batch_param: str = Field(description="POST: body key holding the key list; GET: query "
                             "parameter holding the keys joined by commas")
    changes_path: str = Field(description="The change feed")


class SqlEntity(_Strict):
    table: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    query: str | None = Field(default=None, description="A SELECT, read as a sub-query")

    @model_validator(mode="after")
    def _one(self) -> SqlEntity:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table, query")
        return self


class FileEntity(_Strict):
    glob: str = Field(description="File name pattern, e.g. `妇联_维权来访登记_*.csv`")
    sheet: int | str | None = Field(
        default=None, description="XLSX sheet: its name, or its 1-based index (default: the "
        "first); a workbook without it is quarantined",
        json_schema_extra={"anyOf": [{"type": "integer", "minimum": 1},
                                     {"type": "string", "minLength": 1}, {"type": "null"}]})
    header_row: int | None = Field(
        default=None, ge=1, description="1-based row of the header (default: the first row "
        "holding the key column); rows above it are skipped, and a file whose row lacks a "
        "mapped column is quarantined")
    pick: Literal["newest", "all"] = Field(
        default="newest", description="newest: the last matching file is the drop; all: every "
        "matching file is read (one workbook per compound)")

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, int) and value < 1):
            raise ValueError("a sheet is its name or its 1-based index")
        if value == "":
            raise ValueError("a sheet name is not empty")
        return value


class Mapped(_Strict):
    """One unified field: from a column, a constant or a template — exactly one."""

    from_: str | None = Field(default=None, alias="from",
                              description="Column or JSON path (a.b) of the native row")
    const: Any = None
    template: str | None = Field(default=None, description="`{列}` placeholders, e.g. `{楼栋}#{单元}`")
    type: FieldType = "text"
    map: str | None = Field(default=None, description="Name of a value map")
    required: bool = Field(default=False, description="A row without it is quarantined")
    group: str = Field(description="Field group (gateway/auth/policy.py) or `public`")

    @model_validator(mode="after")
    def _one_source(self) -> Mapped:
        given = [k for k, v in (("from", self.from_), ("const", self.const),
                                ("template", self.template)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of from, const, template (got {given or 'none'})")
        return self


class Attr(_Strict):
    """A subject attribute built from the row rather than read from one column."""

    template: str | None = None
    const: str | None = None
    field: str | None = Field(default=None, description="A unified field of this record")


AttrSpec = str | Attr


class SubjectSpec(_Strict):
    """Identifying attributes of one person the record is about (linkage)."""

    role: str
    when: str | None = Field(default=None, description="Only when this column is not blank")
    name: AttrSpec | None = None
    id_number: AttrSpec | None = None
    phone: AttrSpec | None = None
    address: AttrSpec | None = None
    community: AttrSpec | None = None


class Entity(_Strict):
    key: str = Field(description="Column or path of the record's key at the partner")
    updated: str | None = Field(default=None, description="Column of the update time")
    rest: RestEntity | None = None
    sql: SqlEntity | None = None
    file: FileEntity | None = None
    fields: dict[str, Mapped] = Field(min_length=1)
    subjects: list[SubjectSpec] = Field(default_factory=list)


class ValueMap(_Strict):
    """The partner's codes → ours. `unmapped` is required: a value with no entry is quarantined
    with the reason, stored as null, or given `default` — never passed through silently."""

    values: dict[str, str] = Field(min_length=1)
    unmapped: Literal["quarantine", "null", "default"]
    default: str | None = None

    @model_validator(mode="after")
    def _default(self) -> ValueMap:
        if (self.unmapped == "default") != (self.default is not None):
            raise ValueError("`default` is given exactly when unmapped is 'default'")
        return self


class Definition(_Strict):
    format: Literal[1] = Field(description="Version of this format")
    body: Body
    source: Source
    entities: dict[str, Entity] = Field(min_length=1)
    value_maps: dict[str, ValueMap] = Field(default_factory=dict)


VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
