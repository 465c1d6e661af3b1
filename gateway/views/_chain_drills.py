"""The SQL of the lists behind the chain, visit, meeting and need figures (drills): each lists
exactly what its figure counts, reusing the figure's own query pieces (`_chain_sql`)."""

from __future__ import annotations

from gateway.views._chain_sql import (
    _HOUSEHOLDS,
    _KEPT,
    _MET,
    _NEEDS,
    _VISITED,
    _per,
    _places,
)

# --- drills: $1 community, $2 start, $3 end, $4 key ($5 the cadence, where the Drill says) --

# A drill that does not filter on all four parameters still names each (always true), so that
# every drill is prepared with the same four.
_ALL_PARAMS = "num_nulls($1::text, $2::date, $3::date, $4::text) >= 0"

# $4 a member: `PartyMember:party:<local id>` or the local id.
_MEMBER = "regexp_replace($4::text, '^PartyMember:party:', '')"

HOUSEHOLDS = f"""
WITH {_HOUSEHOLDS}
SELECT hh.id FROM hh WHERE {_ALL_PARAMS}
ORDER BY hh.key
"""

HOUSEHOLDS_WITHOUT_MEMBER = f"""
WITH {_HOUSEHOLDS}, {_KEPT}
SELECT hh.id FROM hh
WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.household_id = hh.id) AND {_ALL_PARAMS}
ORDER BY hh.key
"""


def text_array(values: list[str]) -> str:
    """A text[] literal of `values` (constants of the code, never input)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"


def places(kinds: str, kind: str, *, uncovered: bool) -> str:
    """The community's places of `kind` (building, compound, branch), only those no duty
    covers if `uncovered`, in their natural order. `kinds` as for `_places`."""
    return f"""
WITH {_places(kinds)}
SELECT kind, id, label FROM place
WHERE kind = '{kind}' AND {"NOT covered" if uncovered else "true"} AND {_ALL_PARAMS}
ORDER BY sort_name, sort_n NULLS LAST, sort_rest, id
"""


VISITS_IN_PERIOD = f"""
SELECT partner, entity, local_id FROM facts
WHERE {_VISITED} AND {_ALL_PARAMS}
ORDER BY partner, entity, local_id
"""

MEMBER_VISITS = f"""
SELECT partner, entity, local_id FROM facts
WHERE {_VISITED} AND member = {_MEMBER}
ORDER BY partner, entity, local_id
"""

# The members responsible for households here (as `per` counts them), by local id.
_MEMBERS = """
SELECT 'member' AS kind, p.member AS id, m.label FROM per p
LEFT JOIN facts m ON m.partner = 'party' AND m.entity = 'member' AND m.local_id = p.member
WHERE {where}
ORDER BY p.member
"""
MEMBERS = f"WITH {_per('NULL')}" + _MEMBERS.format(where=_ALL_PARAMS)
MEMBERS_MEETING_TARGET = f"WITH {_per('$5')}" + _MEMBERS.format(
    where=f"{_MET} AND {_ALL_PARAMS}")

# A member's households (党员包户).
MEMBER_HOUSEHOLDS = f"""
WITH {_HOUSEHOLDS}, {_KEPT}
SELECT hh.id FROM hh
WHERE EXISTS (SELECT 1 FROM kept k WHERE k.household_id = hh.id AND k.member = {_MEMBER})
  AND {_ALL_PARAMS}
ORDER BY hh.key
"""

MEETINGS_HELD = """
SELECT partner, entity, local_id FROM facts
WHERE community_code = $1 AND kind = 'meeting' AND subkind = $4::text
  AND opened_on BETWEEN $2 AND $3
ORDER BY partner, entity, local_id
"""

HOUSEHOLDS_IN_NEED = f"""
WITH {_NEEDS}
SELECT id FROM (SELECT DISTINCT id, key FROM needy WHERE need = $4::text) x
WHERE {_ALL_PARAMS}
ORDER BY key
"""
