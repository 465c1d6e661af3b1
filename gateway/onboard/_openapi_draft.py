"""A recognised OpenAPI description (`Api`) written out as a DRAFT definition file, commented.

What the draft is: a definition in the format of docs/onboarding.md that the loader reads, in
which every guess carries a `# TODO review…` comment and validates as it stands, and only what
must not be guessed is left for a person — written as `null` (or `TODO` for a value map's
target) on a line of its own, which the loader refuses naming that line and key: the body's
Chinese name when the description does not give it, the unified value behind each of the
partner's codes of an enum field, and whatever the description did not show (a resource no
unified entity matches, a missing batch read or change feed, the envelope's success codes).
Each of those is a `Todo` of the draft, so `gateway partner draft` can list them.

A property that no unified field is known for stays in the draft as a comment line under its
entity's `fields:` (`# ?: {from: buildArea, type: number, group: property}`): the format has no
way to carry a field without a unified target, and a made-up one would be refused. No field is
ever `public`: personal-looking ones get `identity` or `contact`, the rest the entity's own
group, every one marked `# TODO review group`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from gateway.onboard._openapi_model import Api, Feed, Prop, Resource
from gateway.onboard._openapi_props import norm, tokens
from gateway.onboard.unified import ENTITIES

COLUMN = 44  # where a line's comment starts, when the line is shorter
# The group of an entity's non-personal fields: its domain's (gateway/auth/policy.py).
DOMAIN = {"project": "property", "occupancy": "property", "repair_order": "property",
          "owner": "property", "owner_vote": "property", "rights_case": "welfare",
          "hardship_file": "welfare", "pairing": "welfare", "volunteer": "welfare"}


@dataclass(frozen=True, slots=True)
class Todo:
    """A decision the draft leaves to a person: the loader refuses the file at `line`, `key`."""

    line: int
    key: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.key}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    todos: tuple[Todo, ...]
    api: Api
    mapped: int  # properties written as fields
    unmapped: int  # properties left as `# ?:` lines


def q(value: str) -> str:
    """`value` as a YAML scalar that reads back as this very string."""
    plain = (re.fullmatch(r"[^\s:#,\[\]{}&*!|>'\"%@`?-][^:#,\[\]{}]*", value) is not None
             and value == value.strip())
    try:
        plain = plain and yaml.safe_load(value) == value
    except yaml.YAMLError:
        plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.todos: list[Todo] = []

    def put(self, text: str, note: str = "") -> None:
        note = " ".join(note.split())  # a description's line breaks would end the comment
        if note:
            text = f"{text:<{COLUMN}}# {note}" if len(text) < COLUMN else f"{text}  # {note}"
        self.lines.append(text)

    def todo(self, text: str, key: str, reason: str) -> None:
        self.put(text, f"TODO {reason}")
        self.todos.append(Todo(len(self.lines), key, reason))


def render(api: Api, *, slug: str) -> Draft:
    out = _Writer()
    var = re.sub(r"[^A-Z0-9]", "_", slug.upper())
    maps = _value_maps(api.resources)
    _header(out, api, slug)
    _source(out, api, var)
    out.put("entities:")
    mapped = unmapped = 0
    names: set[str] = set()
    for resource in api.resources:
        m, u = _entity(out, resource, _unique(resource.entity or resource.name, names), maps)
        mapped, unmapped = mapped + m, unmapped + u
    _maps(out, api.resources, maps)
    text = "\n".join(out.lines) + "\n"
    return Draft(text, tuple(out.todos), api, mapped, unmapped)


def _header(out: _Writer, api: Api, slug: str) -> None:
    for line in (f"DRAFT definition of `{slug}`, written by `gateway partner draft` from the",
                 f"OpenAPI description {api.title!r} {api.version} ({api.source}).",
                 "Every guess says `TODO review`; what is left to decide is `null` (or TODO) and",
                 "the loader refuses it by line and key: `gateway partner add --check FILE`.",
                 "Properties with no unified field yet are the `# ?:` lines under `fields:`."):
        out.put("# " + " ".join(line.split()))
    out.put("format: 1")
    out.put("body:")
    out.put(f"  slug: {q(slug)}")
    english = None if api.name_zh == api.title else api.title
    if english:
        out.put(f"  name: {q(english)}", "info.title")
    else:
        out.todo("  name: null", "body.name", "the body's name in English")
    if api.name_zh:
        out.put(f"  name_zh: {q(api.name_zh)}", "from the description")
    else:
        out.todo("  name_zh: null", "body.name_zh",
                 "the body's name in Chinese (not in the description)")
    if api.kind:
        out.put(f"  kind: {q(api.kind)}", "TODO review: guessed from the entities")
    else:
        out.todo("  kind: null", "body.kind",
                 "what kind of body: property_company, owners_committee, mass_organization…")


def _source(out: _Writer, api: Api, var: str) -> None:
    out.put("source:")
    out.put("  kind: rest")
    out.put(f'  base_url: "${{{var}_URL}}"',
            f"servers[0]: {api.server}" if api.server else "TODO review: no `servers` given")
    auth, token = api.auth, f'"${{{var}_TOKEN}}"'
    if auth.kind == "bearer":
        out.put(f"  auth: {{kind: bearer, token: {token}}}", auth.detail)
    elif auth.kind == "header":
        out.put(f"  auth: {{kind: header, header: {q(auth.name or '')}, token: {token}}}",
                auth.detail)
    elif auth.kind == "query":
        out.put(f"  auth: {{kind: query, param: {q(auth.name or '')}, token: {token}}}",
                auth.detail)
    else:
        note = f"TODO review: {auth.detail}" if auth.kind == "unsupported" else auth.detail
        out.put("  auth: {kind: none}", note)
    if api.health:
        out.put(f"  health_path: {q(api.health)}")
    else:
        out.put("  # health_path: /", "TODO review: no health path recognised; / is probed")
    sizes = [r.batch.max_items for r in api.resources if r.batch and r.batch.max_items]
    if sizes:
        out.put(f"  max_batch: {min(sizes)}", "the batch reads' maxItems")
    else:
        out.put("  max_batch: 100", "TODO review: the description gives no maxItems")
    _envelope(out, api)
    _feed(out, api.resources)


def _envelope(out: _Writer, api: Api) -> None:
    env = api.envelope
    if env is None:
        out.put("  # envelope:", "none recognised: answers are read as they come")
        return
    message = f", message: {q(env.message)}" if env.message else ""
    if env.ok:
        ok = ", ".join(str(c) if isinstance(c, int) else q(c) for c in env.ok)
        out.put(f"  envelope: {{code: {q(env.code)}, ok: [{ok}]{message}}}")
    else:
        out.todo(f"  envelope: {{code: {q(env.code)}, ok: [null]{message}}}",
                 "source.envelope.ok", f"the `{env.code}` values that mean success")


def _feed(out: _Writer, resources: Sequence[Resource]) -> None:
    feeds = [r.feed for r in resources if r.feed]
    feed = feeds[0] if feeds else None
    batch_rows = next((r.batch_rows for r in resources if r.batch_rows), None)
    differ = sorted({r.name for r in resources if r.feed and r.feed != feed})
    if feed is None:
        out.put("  feed:", "TODO no change feed recognised (a GET taking an updatedAfter-, "
                "since- or cursor-like parameter and answering rows)")
    else:
        out.put("  feed:", f"TODO review: {', '.join(differ)} page otherwise" if differ else "")
    if batch_rows:
        out.put(f"    batch_rows: {q(batch_rows)}")
    else:
        out.todo("    batch_rows: null", "source.feed.batch_rows",
                 "path of the rows in a batch answer")
    _feed_keys(out, feed)


def _feed_keys(out: _Writer, feed: Feed | None) -> None:
    for key, value, reason in (
        ("rows", feed and feed.rows, "path of the rows in a change-feed page"),
        ("next_cursor", feed and feed.next_cursor, "path of the cursor to resume from"),
        ("since_param", feed and feed.since_param, "query parameter carrying the cursor"),
    ):
        if value:
            out.put(f"    {key}: {q(value)}")
        else:
            out.todo(f"    {key}: null", f"source.feed.{key}", reason)
    if feed and feed.has_more:
        out.put(f"    has_more: {q(feed.has_more)}")
    if feed and feed.page_size_param:
        out.put(f"    page_size_param: {q(feed.page_size_param)}")
    out.put(f"    page_size: {feed.page_size if feed else 500}")


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`… when two resources of other paths bear one name."""
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name}_{n}"
    taken.add(out)
    return out


def _entity(out: _Writer, r: Resource, name: str,
            maps: dict[tuple[str, str], str]) -> tuple[int, int]:
    where = f"resource {r.name}" + (f" (schema {r.schema})" if r.schema else "")
    if r.entity is None:
        out.todo(f"  {q(name)}:", f"entities.{name}", f"name the unified entity of {where} "
                 f"({', '.join(ENTITIES)}): none matched")
    else:
        out.put(f"  {q(name)}:", f"TODO review: {where}, matched by {r.entity_why}")
    here = f"entities.{name}"
    if r.key:
        out.put(f"    key: {q(r.key)}", f"TODO review: {r.key_why}")
    else:
        out.todo("    key: null", f"{here}.key", "the property holding the record's id")
    if r.updated:
        out.put(f"    updated: {q(r.updated)}")
    else:
        out.put("    # updated:", "TODO review: no update-time property recognised")
    _rest(out, r, here)
    return _fields(out, r, here, maps)


def _rest(out: _Writer, r: Resource, here: str) -> None:
    out.put("    rest:")
    if r.batch:
        out.put(f"      batch_path: {q(r.batch.path)}")
        if r.batch.method == "GET":
            out.put("      batch_method: GET")
        out.put(f"      batch_param: {q(r.batch.param)}")
    else:
        reason = "no batch read recognised (a POST taking an array of ids)"
        out.todo("      batch_path: null", f"{here}.rest.batch_path", reason)
        out.todo("      batch_param: null", f"{here}.rest.batch_param", "its ids parameter")
    if r.changes_path:
        out.put(f"      changes_path: {q(r.changes_path)}")
    else:
        out.todo("      changes_path: null", f"{here}.rest.changes_path",
                 "no change feed recognised" + (f" (only the listing {r.listing_path}, "
                                                "paged by number)" if r.listing_path else ""))


def _fields(out: _Writer, r: Resource, here: str,
            maps: dict[tuple[str, str], str]) -> tuple[int, int]:
    if any(p.target for p in r.props):
        out.put("    fields:")
    else:
        out.todo("    fields:", f"{here}.fields",
                 "map a property: give a `# ?:` line below a unified field name")
    width = max((len(p.target) for p in r.props if p.target), default=1) + 1
    unified = ENTITIES.get(r.entity or "", {})
    mapped = 0
    for p in r.props:
        group = p.personal or DOMAIN.get(r.entity or "", "property")
        vmap = maps.get((r.name, p.name))
        spec = unified.get(p.target or "")
        use_map = vmap if vmap and (p.target is None or (spec and spec.enum)) else None
        body = (f"{{from: {q(p.name)}, type: {p.type}" + (f", map: {use_map}" if use_map else "")
                + f", group: {group}}}")
        if p.target:
            mapped += 1
            out.put(f"      {(p.target + ':'):<{width}} {body}", "TODO review group")
        else:
            about = f" — {_short(p.description)}" if p.description else ""
            out.put(f"      # ?: {body}", f"TODO map, review group{about}")
    _subjects(out, r.props)
    return mapped, len(r.props) - mapped


def _short(text: str, size: int = 48) -> str:
    one = " ".join(text.split())
    return one if len(one) <= size else one[: size - 1] + "…"


def _subjects(out: _Writer, props: Sequence[Prop]) -> None:
    """A commented skeleton of `subjects:` pairing each personal name with its phone."""
    names = [p for p in props if p.personal == "identity" and (
        {"name", "xingming"} & set(tokens(p.name)) or "姓名" in p.description
        or not tokens(p.name)[1:])]
    phones = [p for p in props if p.personal == "contact" and re.search(
        r"phone|mobile|tel|dianhua|shouji|电话|手机", p.name.lower() + p.description)]
    if not names:
        return
    out.put("    # subjects:", "TODO the persons the record is about (linkage), e.g.")
    for p in names:
        own = [t for t in tokens(p.name) if t not in ("name", "xingming")]
        phone = next((f.name for f in phones
                      if [t for t in tokens(f.name) if t not in _PHONE] == own), None)
        extra = f", phone: {q(phone)}" if phone else ""
        out.put(f"    #   - {{role: {'_'.join(own) or 'TODO'}, name: {q(p.name)}{extra}}}")


_PHONE = ("phone", "mobile", "tel", "dianhua", "shouji")


def _value_maps(resources: Sequence[Resource]) -> dict[tuple[str, str], str]:
    """A value map name per enum property: its own name, or resource-prefixed on a clash."""
    names: dict[tuple[str, str], str] = {}
    values: dict[str, tuple[str, ...]] = {}
    for r in resources:
        for p in r.props:
            if not p.enum:
                continue
            name = "_".join(tokens(p.name)) or norm(p.name) or "codes"
            if values.get(name, p.enum) != p.enum:
                name = f"{'_'.join(tokens(r.name))}_{name}"
            values[name] = p.enum
            names[(r.name, p.name)] = name
    return names


def _maps(out: _Writer, resources: Sequence[Resource],
          maps: dict[tuple[str, str], str]) -> None:
    if not maps:
        out.put("value_maps: {}")
        return
    out.put("value_maps:")
    done: set[str] = set()
    for r in resources:
        for p in r.props:
            name = maps.get((r.name, p.name))
            if name is None or name in done:
                continue
            done.add(name)
            spec = ENTITIES.get(r.entity or "", {}).get(p.target or "")
            enum = spec.enum if spec else None
            _one_map(out, name, f"{r.name}.{p.name}", p, enum)


def _one_map(out: _Writer, name: str, origin: str, p: Prop,
             enum: tuple[str, ...] | None) -> None:
    if enum:
        out.put(f"  {name}:", f"{origin} → {p.target}: {' | '.join(enum)}")
    else:
        out.put(f"  {name}:", f"{origin}: used by no field yet (TODO map it, or delete this)")
    out.put("    values:")
    for code in p.enum:
        ours = next((v for v in enum or () if v.lower() == code.lower()), None)
        if ours:
            out.put(f"      {q(code)}: {ours}", "TODO review")
        elif enum:
            out.todo(f"      {q(code)}: TODO", f"value_maps.{name}.values.{code}",
                     f"the {p.target} of the partner's {code!r}")
        else:
            out.put(f"      {q(code)}: TODO")
    out.put("    unmapped: quarantine")
