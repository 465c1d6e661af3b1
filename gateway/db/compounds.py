"""Which compound (小区) a property record counts in: one rule, for the brief's 四位一体 section
and for `Community.property` alike, so that both count the same records in the same compound.

A property record (a room, a repair order, an owner, a ballot) names its compound as its body
writes it; its fact keeps that name as a key (`name_key`: full-width folded, blanks, a trailing
note such as `（原…）`, a phase `一期` and a trailing `小区` dropped). The rule, in order:

1. the community the record states, if it states one: only that community's compounds match;
2. the name: a compound answers to its own name and to the former names a property company
   gives its project (`project` facts, `aliases`: 曾用名), each exactly (by key) or, when
   nothing answers exactly, stripped of its generic suffixes as the registry folds names
   (`gateway.linkage.places.compound_key`): 翠湖 and 翠湖小区 name 翠湖花园;
3. the household the record is linked to: its compound when the name answers to none, or to
   several and the household is in one of them.

A record whose name answers to none counts where the facts place it (its household's
community, else the one it states) in its household's compound or in none; one that answers
to several compounds of one community, unsettled, in that community and none of them. A name
that answers in several communities and that neither the record nor its household settles counts
in none of them: it is *contested* (`contested` lists the communities), and each of them
reports it (the brief's `property.unattributed` list). A project's own community is not asked:
its name says which compound its former names belong to.

The rule is SQL (`attributed`), over the `facts` table; the name keys of the facts are made in
Python at sync (`name_key`) and those of the compounds in SQL (`name_key_sql`) from the same
patterns, which a test keeps equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from gateway.linkage.places import _SUFFIXES

__all__ = ["INDEXED_KINDS", "PROJECT_KIND", "alias_keys", "attributed", "join_aliases",
           "name_key", "name_key_sql", "stem_sql"]

# The kinds ix_facts_place covers (migration 0013): a compound's facts of these kinds are one
# index range.
INDEXED_KINDS = ("repair", "occupancy", "vote")
# The property companies' projects: `place` the compound's key, `topic` its former names' keys.
PROJECT_KIND = "project"
_ALIAS_SEP = "|"

# (pattern, replacement) applied once each, in order, after NFKC and without blanks. Written
# for both Python's `re` and PostgreSQL's regular expressions: no quote, no class they differ on.
_STEPS: tuple[tuple[str, str], ...] = (
    (r"\([^()]*\)$", ""),  # a trailing note: 碧水苑（原金域华府）
    (r"[0-9一二三四五六七八九十]+期$", ""),  # a phase: 翠湖花园一期
    (r"^(.{2,}?)小区$", r"\1"),  # 翠湖花园小区, 建设里小区
)
_BLANKS = r"\s+"
# Generic suffixes, the longest that leaves two characters first, up to three times.
_STEM = rf"^(.{{2,}}?)(?:{'|'.join(_SUFFIXES)})$"
_LISTED = re.compile(r"[、,;/]")


def name_key(written: str | None) -> str | None:
    """A compound's name as written, reduced to what tells it apart (`翠湖花园一期` → 翠湖花园)."""
    if not written:
        return None
    text = re.sub(_BLANKS, "", unicodedata.normalize("NFKC", written))
    for pattern, replacement in _STEPS:
        text = re.sub(pattern, replacement, text, count=1)
    return text or None


def alias_keys(written: str | None) -> list[str]:
    """The keys of the names in a list of former names (`金域华府、金色家园`), in order."""
    if not written:
        return []
    names = _LISTED.split(unicodedata.normalize("NFKC", written))
    keys = (name_key(n) for n in names)
    return list(dict.fromkeys(k.replace(_ALIAS_SEP, "") for k in keys if k))


def join_aliases(keys: Iterable[str]) -> str | None:
    """Former names' keys as a project fact keeps them (`topic`)."""
    return _ALIAS_SEP.join(keys) or None


def name_key_sql(expr: str) -> str:
    """`name_key` of a text expression, in SQL."""
    text = f"regexp_replace(normalize({expr}, NFKC), '{_BLANKS}', '', 'g')"
    for pattern, replacement in _STEPS:
        text = f"regexp_replace({text}, '{pattern}', '{replacement}')"
    return f"nullif({text}, '')"


def stem_sql(expr: str) -> str:
    """The key without its generic suffixes (`compound_key` of a key), in SQL."""
    text = expr
    for _ in range(3):
        text = f"regexp_replace({text}, '{_STEM}', '\\1')"
    return text


def _in(kinds: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _names() -> str:
    """`names`: every key a compound answers to — id, community, key, tier (1 exact, 2 without
    generic suffixes)."""
    return f"""
own AS (
  SELECT id, community_code, key, {stem_sql("key")} AS stem
  FROM (SELECT c.id, c.community_code, {name_key_sql("c.name")} AS key FROM compounds c) c
  WHERE key IS NOT NULL
),
alias AS (  -- a project's former names, on the compounds its name answers to best
  SELECT id, community_code, key FROM (
    SELECT o.id, o.community_code, a.key,
           rank() OVER (PARTITION BY a.partner, a.local_id ORDER BY a.target <> o.key) AS r
    FROM (SELECT p.partner, p.local_id, p.place AS target,
                 unnest(string_to_array(p.topic, '{_ALIAS_SEP}')) AS key
          FROM facts p  -- in no community: one range of ix_facts_community_kind_opened
          WHERE p.community_code IS NULL AND p.kind = '{PROJECT_KIND}'
            AND p.topic IS NOT NULL) a
    JOIN own o ON a.target IN (o.key, o.stem)
  ) x WHERE r = 1
),
names AS (
  SELECT id, community_code, key, 1 AS tier FROM own
  UNION ALL SELECT id, community_code, stem, 2 FROM own
  UNION ALL SELECT id, community_code, key, 1 FROM alias
  UNION ALL SELECT id, community_code, {stem_sql("key")}, 2 FROM alias
),
mine AS (SELECT DISTINCT key FROM names WHERE community_code = $1)"""


# What `attributed` keeps of a fact: what the views count and list by, and what the rule reads.
_COLUMNS = ("partner", "entity", "local_id", "kind", "status", "topic", "subkind", "category",
           "quantity", "is_open", "opened_on", "closed_on", "place", "stated_community",
           "community_code", "household_id")


def _found(kinds: tuple[str, ...]) -> str:
    """`found`: the facts of `kinds` that may count in community $1 — those whose name answers
    to one of its compounds (one index range each for the indexed kinds), and those linkage or
    the record placed in it."""
    columns = ", ".join(f"f.{c}" for c in _COLUMNS)
    indexed = [k for k in kinds if k in INDEXED_KINDS]
    other = [k for k in kinds if k not in INDEXED_KINDS]
    by_name = [f"SELECT {columns} FROM facts f WHERE f.kind IN {_in(group)} "
               "AND f.place IN (SELECT key FROM mine)" for group in (indexed, other) if group]
    return f"""
found AS (
  {" UNION ALL ".join(by_name)}
  UNION ALL
  SELECT {columns} FROM facts f
  WHERE f.community_code = $1 AND f.kind IN {_in(kinds)}
    AND (f.place IS NULL OR f.place NOT IN (SELECT key FROM mine))
)"""


# What a key answers to: its compounds and their communities, and the one of each if only one.
_ANSWERS = """array_agg(DISTINCT id) AS ids, array_agg(DISTINCT community_code) AS communities,
  CASE WHEN count(DISTINCT id) = 1 THEN min(id) END AS one,
  CASE WHEN count(DISTINCT community_code) = 1 THEN min(community_code) END AS one_community"""

# Per key: the compounds it answers to at its best tier, anywhere (`anywhere`) and within each
# community (`within`, for a record that states its community) — resolved once per key, not per
# fact. Per fact then: the compound it counts in (its household's settles what the name leaves
# open), its community, and the communities contesting it. A linked fact's community is its
# household's.
_RESOLVED = f"""
ranked AS (
  SELECT id, community_code, key, tier,
         min(tier) OVER (PARTITION BY key) AS best,
         min(tier) OVER (PARTITION BY key, community_code) AS best_within
  FROM names
),
anywhere AS (
  SELECT key, {_ANSWERS} FROM ranked WHERE tier = best GROUP BY key
),
within AS (
  SELECT key, community_code AS stated, {_ANSWERS}
  FROM ranked WHERE tier = best_within GROUP BY key, community_code
),
named AS (
  SELECT f.*, coalesce(w.ids, a.ids) AS ids, coalesce(w.one, a.one) AS one,
         coalesce(w.one_community, a.one_community) AS one_community,
         coalesce(w.communities, a.communities) AS communities
  FROM found f
  LEFT JOIN anywhere a ON a.key = f.place AND f.stated_community IS NULL
  LEFT JOIN within w ON w.key = f.place AND w.stated = f.stated_community
),
settled AS (
  SELECT n.*,
         coalesce(n.one, (SELECT h.compound_id FROM households h WHERE h.id = n.household_id
                            AND (n.ids IS NULL OR h.compound_id = ANY(n.ids)))) AS compound_id
  FROM named n
),
attributed AS (
  SELECT s.*,
         CASE WHEN one IS NOT NULL THEN one_community
              WHEN compound_id IS NOT NULL OR ids IS NULL THEN community_code
              ELSE one_community END AS community,
         CASE WHEN compound_id IS NULL AND ids IS NOT NULL AND one_community IS NULL
              THEN communities END AS contested
  FROM settled s
)"""


def attributed(kinds: tuple[str, ...]) -> str:
    """CTEs (without `WITH`) ending in `attributed`: every fact of `kinds` that may count in
    community $1, with `compound_id` (the compound it counts in, or NULL), `community` (where
    it counts, or NULL) and `contested` (the communities whose compounds its name answers to
    when none of them can be chosen, else NULL). A fact counts in $1 when `community = $1`;
    one $1 must report when `$1 = ANY(contested)`."""
    return f"{_names()},{_found(kinds)},{_RESOLVED}"
