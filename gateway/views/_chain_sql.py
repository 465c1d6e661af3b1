"""The SQL of the chain sections of the brief (`brief_chain.py`): 包联 coverage, contact visits,
四会 compliance and unmet needs, and the drills behind their figures.

The Party committee's records are read as sync stored them: building-, compound- and
branch-level responsibilities by their stated community and `targetLevel` (indexed), placed by
linkage (`attrs->>'building_id'`, `attrs->>'compound_id'`); organizations by their native columns
(`raw`), whose spellings the caller passes in from the adapter's tables. Household-level
responsibilities, members and residents' tags are read as projected into `facts`, which follow
their records' links. Every query takes $1
community, $2 start, $3 end (the chain only the community); the section queries take their
constants after those, a drill its key as $4 (and the cadence as $5 where its `Drill` says).
"""

from __future__ import annotations


def _ordinal(expr: str) -> str:
    """A branch's number as its name writes it (`第一支部`, `一支部`, `第1党支部` → 1), in SQL;
    NULL past 十 (a community has at most five branches)."""
    token = f"substring({expr} from '第?([一二三四五六七八九十0-9]+)党?支部')"
    return (f"CASE WHEN {token} ~ '^[0-9]+$' THEN {token}::int "
            f"WHEN char_length({token}) = 1 THEN nullif(strpos('一二三四五六七八九十', {token}), 0) "
            "END")


_HOUSEHOLDS = """
hh AS (
  SELECT id, key, building_id, compound_id FROM households
  WHERE community_code = $1 AND merged_into IS NULL
)"""

# Households a member is responsible for (党员包户): ledger rows placed in a household of this
# community by linkage (their facts follow the links).
_KEPT = """
kept AS (
  SELECT member, household_id FROM facts
  WHERE community_code = $1 AND kind = 'responsibility' AND subkind = 'MEMBER_HOUSEHOLD'
    AND household_id IS NOT NULL
)"""

def _places(kinds: str) -> str:
    """`place`: the community's buildings, compounds and Party branches, one row each — kind,
    id, label, sort keys, and whether a duty covers it (支委包楼, 书记包院, 党委包支部). `kinds`:
    the SQL of a text[] of the roster's 组织类型 spellings of BRANCH."""
    return rf"""
duty AS (
  SELECT attrs->>'targetLevel' AS level, attrs->>'building_id' AS building,
         attrs->>'compound_id' AS compound, attrs->'raw'->>'address' AS target
  FROM source_records
  WHERE entity = 'responsibility' AND attrs->>'community' = $1
    AND attrs->>'targetLevel' IN ('building', 'compound', 'branch')
),
branch AS (
  SELECT local_id, raw->>'zzmc' AS name, {_ordinal("raw->>'zzmc'")} AS ordinal
  FROM source_records
  WHERE partner = 'party' AND entity = 'organization' AND raw->>'sqbm' = $1
    AND raw->>'zzlx' = ANY({kinds})
),
covers AS (
  SELECT target AS name, {_ordinal("target")} AS ordinal FROM duty WHERE level = 'branch'
),
place AS (  -- (an uncorrelated IN is one hashed lookup a row)
  SELECT 'building' AS kind, b.id::text AS id,
         c.name || b.number || CASE WHEN b.number ~ '\d$' THEN '号楼' ELSE '' END AS label,
         c.name AS sort_name, substring(b.number from '^\d{{1,9}}')::int AS sort_n,
         b.number AS sort_rest,
         b.id::text IN (SELECT building FROM duty
                        WHERE level = 'building' AND building IS NOT NULL) AS covered
  FROM buildings b JOIN compounds c ON c.id = b.compound_id
  WHERE c.community_code = $1
  UNION ALL
  SELECT 'compound', c.id::text, c.name, c.name, NULL, '',
         c.id::text IN (SELECT compound FROM duty
                        WHERE level = 'compound' AND compound IS NOT NULL)
  FROM compounds c WHERE c.community_code = $1
  UNION ALL
  SELECT 'branch', b.local_id, b.name, '', b.ordinal, b.name,
         EXISTS (SELECT 1 FROM covers c WHERE c.ordinal = b.ordinal OR c.name = b.name)
  FROM branch b
)"""


# The chain now, not over a period: $1 community, $2 branch kinds (the roster's 组织类型
# spellings of BRANCH).
CHAIN = f"""
WITH {_HOUSEHOLDS}, {_KEPT}, {_places("$2::text[]")}
SELECT
  (SELECT count(*) FROM hh) AS households,
  (SELECT count(*) FROM hh WHERE NOT EXISTS (
     SELECT 1 FROM kept k WHERE k.household_id = hh.id)) AS households_without_member,
  count(*) FILTER (WHERE kind = 'building') AS buildings,
  count(*) FILTER (WHERE kind = 'building' AND NOT covered)
    AS buildings_without_committee_member,
  count(*) FILTER (WHERE kind = 'compound') AS compounds,
  count(*) FILTER (WHERE kind = 'compound' AND NOT covered) AS compounds_without_secretary,
  count(*) FILTER (WHERE kind = 'branch') AS branches,
  count(*) FILTER (WHERE kind = 'branch' AND NOT covered) AS branches_without_committee
FROM place
"""

# The community's contact visits in the period.
_VISITED = "community_code = $1 AND kind = 'visit' AND opened_on BETWEEN $2 AND $3"


def _per(cadence: str) -> str:
    """`per`: each member responsible for households of the community, with their households,
    visits in the period and target. `cadence` the SQL of the visits expected per household;
    the target is ceil(households × cadence), in numeric so that 100 × 0.07 is 7, not 8
    (7.000000000000001 in float8)."""
    return f"""{_HOUSEHOLDS}, {_KEPT},
duty AS (
  SELECT k.member, count(DISTINCT k.household_id) AS households
  FROM kept k JOIN hh ON hh.id = k.household_id GROUP BY k.member
),
done AS (
  SELECT member, count(*) AS visits FROM facts WHERE {_VISITED} GROUP BY member
),
per AS (
  SELECT d.member, d.households::int, coalesce(v.visits, 0)::int AS visits,
         ceil(d.households * {cadence}::float8::numeric)::int AS target
  FROM duty d LEFT JOIN done v ON v.member = d.member
)"""


# Whether a member of `per` met their target.
_MET = "p.visits >= p.target"

# $4 visits expected per household.
VISITS = f"""
WITH {_per("$4")},
short AS (
  SELECT p.*, m.label AS name
  FROM per p
  LEFT JOIN facts m ON m.partner = 'party' AND m.entity = 'member' AND m.local_id = p.member
  WHERE p.visits < p.target
  ORDER BY p.target - p.visits DESC, p.member
  LIMIT 50
)
SELECT
  (SELECT coalesce(sum(visits), 0) FROM done)::int AS visits,
  (SELECT count(*) FROM per)::int AS members,
  (SELECT count(*) FROM per p WHERE {_MET})::int AS members_meeting_target,
  (SELECT coalesce(json_agg(short ORDER BY target - visits DESC, member), '[]') FROM short)
    AS short_of_target
"""

# $4 meeting kinds, $5 their cadence in months (NULL: as needed), in the order to report.
MEETINGS = """
SELECT k.kind, k.months,
       count(f.local_id) FILTER (WHERE f.opened_on BETWEEN $2 AND $3)::int AS held_in_period,
       max(f.opened_on) FILTER (WHERE f.opened_on <= $3) AS last_held,
       -- Never held: due since the period began.
       coalesce((max(f.opened_on) FILTER (WHERE f.opened_on <= $3)
                 + make_interval(months => k.months))::date, $2) AS next_due
FROM unnest($4::text[], $5::int[]) WITH ORDINALITY AS k(kind, months, n)
LEFT JOIN facts f ON f.community_code = $1 AND f.kind = 'meeting' AND f.subkind = k.kind
GROUP BY k.kind, k.months, k.n
ORDER BY k.n
"""

_TAGS = "'独居老人|空巢|残疾'"
_YOUTH = "'重点青少年'"

# One row per (household, need, the body whose record shows it), as of the period's end. A
# record's state (`is_open`, `status`) is the one last synced.
_NEEDS = f"""
held AS MATERIALIZED (  -- the community's open records the rules read, in one pass
  SELECT partner, entity, local_id, kind, category, body, is_dispute, opened_on, household_id
  FROM facts
  WHERE community_code = $1 AND kind IN ('care_card', 'service', 'appeal') AND is_open
    AND coalesce(opened_on <= $3, true) AND household_id IS NOT NULL
    AND (kind = 'care_card' OR is_dispute OR category IN ('HARDSHIP_FILE', 'PAIRING'))
),
carded AS (SELECT DISTINCT household_id FROM held WHERE kind = 'care_card'),
paired AS (SELECT DISTINCT household_id FROM held WHERE category = 'PAIRING'),
visited AS (
  SELECT DISTINCT household_id FROM facts
  WHERE community_code = $1 AND kind = 'visit' AND opened_on BETWEEN $2 AND $3
    AND household_id IS NOT NULL
),
tagged AS (  -- registered residents the residents' committee tags, by household
  SELECT household_id, bool_or(topic ~ {_TAGS}) AS vulnerable, bool_or(topic ~ {_YOUTH}) AS youth
  FROM facts
  WHERE community_code = $1 AND kind = 'resident' AND category = 'TAGGED' AND is_open
    AND household_id IS NOT NULL
  GROUP BY household_id
),
need AS (
  SELECT household_id, 'HARDSHIP_NO_CARE_CARD' AS need, body FROM held
  WHERE category = 'HARDSHIP_FILE' AND household_id NOT IN (SELECT household_id FROM carded)
  UNION ALL
  -- A report no mediation case follows: none of the household's from a month before it to two
  -- months after (or the period's end), and none naming it as its ticket.
  SELECT r.household_id, 'DISPUTE_NO_MEDIATION', r.body FROM held r
  WHERE r.is_dispute AND r.kind <> 'care_card' AND NOT EXISTS (
    SELECT 1 FROM facts d
    WHERE d.kind = 'dispute' AND d.status IS DISTINCT FROM 'NOT_ACCEPTED'
      AND ((d.household_id = r.household_id
            AND d.opened_on BETWEEN r.opened_on - 30 AND least(r.opened_on + 60, $3))
           OR (r.entity = 'ticket' AND d.ref = r.local_id)))
  UNION ALL
  SELECT household_id, 'DISPUTE_NO_MEDIATION', body FROM facts
  WHERE community_code = $1 AND kind = 'dispute' AND status IN ('DISCOVERED', 'REGISTERED')
    AND opened_on <= $3 - 7 AND household_id IS NOT NULL
  UNION ALL
  SELECT household_id, 'VULNERABLE_NO_CONTACT', 'RESIDENTS_COMMITTEE' FROM tagged
  WHERE vulnerable AND household_id NOT IN (SELECT household_id FROM carded)
    AND household_id NOT IN (SELECT household_id FROM visited)
  UNION ALL
  SELECT household_id, 'AT_RISK_YOUTH_NO_PAIRING', 'RESIDENTS_COMMITTEE' FROM tagged
  WHERE youth AND household_id NOT IN (SELECT household_id FROM paired)
),
needy AS MATERIALIZED (  -- of households still in the register
  SELECT n.household_id AS id, n.need, n.body, h.key, h.building_id, h.compound_id
  FROM need n JOIN households h ON h.id = n.household_id AND h.community_code = $1
       AND h.merged_into IS NULL
)"""

# $4 need codes in report order, $5-$7 (need, member type, preference) rows.
NEEDS = f"""
WITH {_NEEDS},
counted AS (SELECT need, count(DISTINCT id)::int AS n FROM needy GROUP BY need),
per AS (
  SELECT id, key, building_id, compound_id,
         array_agg(DISTINCT need) AS needs, array_agg(DISTINCT body) AS bodies
  FROM needy GROUP BY id, key, building_id, compound_id
),
top AS (SELECT * FROM per ORDER BY cardinality(needs) DESC, key LIMIT 100),
member AS (  -- the community's members living here (not 流动党员), where they live
  SELECT f.member AS local_id, f.label AS name, f.subkind AS role, h.id AS home, h.building_id,
         h.compound_id
  FROM facts f JOIN households h ON h.id = f.household_id AND h.merged_into IS NULL
       AND h.community_code = $1
  WHERE f.community_code = $1 AND f.kind = 'member' AND f.is_open AND f.subkind IS NOT NULL
),
-- A household's three nearest members of a type are among the first three of that type in its
-- building, its compound or the community, once its own members (at most `cap` of one type) are
-- set aside: rank there, then join on equal places only.
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY building_id, role ORDER BY local_id) AS in_building,
            row_number() OVER (PARTITION BY compound_id, role ORDER BY local_id) AS in_compound,
            row_number() OVER (PARTITION BY role ORDER BY local_id) AS in_community
  FROM member
),
cap AS (
  SELECT 3 + coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM member GROUP BY home, role) x
),
near AS (
  SELECT t.id, r.* FROM top t JOIN ranked r ON r.building_id = t.building_id
  WHERE r.in_building <= (SELECT n FROM cap)
  UNION ALL
  SELECT t.id, r.* FROM top t JOIN ranked r ON r.compound_id = t.compound_id
  WHERE r.in_compound <= (SELECT n FROM cap)
  UNION ALL
  SELECT t.id, r.* FROM top t CROSS JOIN ranked r WHERE r.in_community <= (SELECT n FROM cap)
),
offer AS (
  SELECT t.id, n.local_id, n.name, n.role,
         min(f.rank) AS rank,
         CASE WHEN n.building_id = t.building_id THEN 0
              WHEN n.compound_id = t.compound_id THEN 1 ELSE 2 END AS distance
  FROM near n JOIN top t ON t.id = n.id AND n.home <> t.id
  JOIN unnest($5::text[], $6::text[], $7::int[]) AS f(need, role, rank)
    ON f.role = n.role AND f.need = ANY(t.needs)
  GROUP BY t.id, n.local_id, n.name, n.role, distance
),
helpers AS (
  SELECT id, json_agg(json_build_object('member', local_id, 'name', name, 'role', role,
                                        'distance', distance) ORDER BY n) AS helpers
  FROM (SELECT *, row_number() OVER (PARTITION BY id ORDER BY distance, rank, local_id) AS n
        FROM offer) o
  WHERE n <= 3 GROUP BY id
)
SELECT
  (SELECT coalesce(json_agg(json_build_object('need', need, 'n', n)), '[]') FROM counted)
    AS by_need,
  (SELECT coalesce(json_agg(json_build_object(
      'key', t.key,
      'needs', (SELECT array_agg(x ORDER BY array_position($4::text[], x)) FROM unnest(t.needs) x),
      'bodies', t.bodies, 'helpers', coalesce(h.helpers, '[]'))
    ORDER BY cardinality(t.needs) DESC, t.key), '[]')
   FROM top t LEFT JOIN helpers h ON h.id = t.id) AS households
"""
