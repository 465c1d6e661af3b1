"""The SQL of the brief's disputes, appeals and services sections (`brief_cases.py`).

Every statement takes $1 community code, $2 start, $3 end (dates, inclusive) and $4 a breakdown
key (text, NULL for a headline figure); a period that ends before it starts counts nothing. Each
section is one CTE shaping the community's facts into one row per counted thing with its period
flags. A section's figures aggregate that CTE in one statement (GROUPING SETS, one row per group
of each breakdown, `dim` naming the breakdown); a drill selects from the same CTE, so a list
always matches its figure.
"""

from __future__ import annotations

# The 12345 work order: what a dispute's `ref` (relatedTicketNumber) names, and the one appeal
# whose `ref` (duplicateOf, the ticket it repeats) counts as the same report.
_TICKET = "'hotline', 'ticket'"

# A dispute report as deduplication needs it, with the dispute category it implies: a 12345
# ticket says 邻里 or nothing more, a women's-federation case is about marriage and family.
_REPORT_ROW = """f.partner, f.entity, f.local_id, f.kind, f.body,
    CASE f.kind WHEN 'dispute' THEN coalesce(f.category, 'OTHER')
                WHEN 'service' THEN 'MARRIAGE_FAMILY'
                ELSE CASE WHEN concat(f.topic, f.label) LIKE '%邻里%' THEN 'NEIGHBOR'
                          ELSE 'OTHER' END END AS category,
    CASE WHEN f.kind = 'dispute' THEN coalesce(f.subkind, 'UNKNOWN') ELSE 'NONE' END
      AS mediation,
    coalesce(f.status, 'NONE') AS status, f.is_open, f.opened_on, f.closed_on, f.due_on,
    f.community_code"""
_ROW = """partner, entity, local_id, kind, body, category, mediation, status, is_open,
    opened_on, closed_on, due_on, community_code"""
# Whether a fact is one of the community's dispute reports.
_REPORT = """coalesce(f.community_code = $1 AND f.kind IN ('dispute', 'appeal', 'service')
                      AND (f.kind = 'dispute' OR f.is_dispute), false)"""

# One row per dispute whose canonical report is in the community.
#
# Reports of one dispute share a group: the 12345 ticket they hang on (a ticket's own number,
# or the one it repeats; the ticket a dispute names, or the one that repeats), else their own.
# A ticket group is completed from the whole district, wherever linkage placed its reports: its
# head, the tickets repeating it, the disputes naming either. The canonical report is the
# mediation dispute if there is one, else the head ticket. The dispute counts in the community
# of its canonical report, opened when first reported, otherwise as its canonical report says.
# A group holds tickets and mediation disputes only, so at most two reporting bodies: the
# least and the greatest.
DISPUTES = f"""
WITH found AS (  -- the community's dispute reports
  SELECT {_REPORT_ROW}, f.ref FROM facts f
  WHERE f.community_code = $1 AND f.kind IN ('dispute', 'appeal', 'service')
    AND (f.kind = 'dispute' OR f.is_dispute) AND $2::date <= $3::date
), reports AS (  -- each with the ticket it hangs on
  SELECT f.*,
         CASE WHEN (f.partner, f.entity) = ({_TICKET}) THEN coalesce(f.ref, f.local_id)
              WHEN f.kind = 'dispute' AND f.ref IS NOT NULL
                THEN coalesce(t.ref, t.local_id,
                              (SELECT o.ref FROM facts o
                               WHERE (o.partner, o.entity, o.local_id) = ({_TICKET}, f.ref)),
                              f.ref) END AS ticket
  FROM found f
  LEFT JOIN found t
    ON f.kind = 'dispute' AND (t.partner, t.entity, t.local_id) = ({_TICKET}, f.ref)
), heads AS (
  SELECT DISTINCT ticket FROM reports WHERE ticket IS NOT NULL
), repeats AS (  -- tickets repeating a head, wherever placed
  SELECT {_REPORT_ROW}, {_REPORT} AS mine, h.ticket FROM heads h
  JOIN facts f ON f.kind = 'appeal' AND f.ref = h.ticket
), members AS (
  SELECT {_ROW}, coalesce(ticket, partner || '/' || entity || '/' || local_id) AS grp
  FROM reports
  UNION ALL  -- heads placed elsewhere, or not themselves about a dispute
  SELECT {_REPORT_ROW}, h.ticket FROM heads h
  JOIN facts f ON (f.partner, f.entity, f.local_id) = ({_TICKET}, h.ticket)
  WHERE NOT EXISTS (SELECT FROM reports r
                    WHERE (r.partner, r.entity, r.local_id) = ({_TICKET}, h.ticket))
    AND NOT {_REPORT}
  UNION ALL
  SELECT {_ROW}, ticket FROM repeats WHERE NOT mine
  UNION ALL  -- disputes placed elsewhere naming a head or a repeat
  SELECT {_REPORT_ROW}, n.ticket
  FROM (SELECT ticket AS named, ticket FROM heads
        UNION ALL SELECT local_id, ticket FROM repeats) n
  JOIN facts f ON f.kind = 'dispute' AND f.ref = n.named WHERE NOT {_REPORT}
), ranked AS (
  SELECT m.*, row_number() OVER canonical_first AS n, min(opened_on) OVER g AS first_opened,
         count(*) OVER g AS reports, min(body) OVER g AS body_a, max(body) OVER g AS body_b
  FROM members m
  WINDOW g AS (PARTITION BY grp COLLATE "C"),
         canonical_first AS (g ORDER BY kind = 'dispute' DESC, local_id = grp DESC,
                             opened_on NULLS LAST, partner COLLATE "C", entity COLLATE "C",
                             local_id COLLATE "C")
), disputes AS (
  SELECT partner, entity, local_id, grp, first_opened AS opened_on, reports, body_a, body_b,
         category, mediation, status,
         first_opened BETWEEN $2 AND $3 AS opened,
         coalesce(closed_on BETWEEN $2 AND $3, false) AS closed,
         first_opened <= $3 AND (closed_on > $3 OR closed_on IS NULL AND is_open) AS open_at_end,
         due_on < $3 AS past_due
  FROM ranked
  WHERE n = 1 AND community_code = $1
)"""

# Which rows a measure counts, for the figures and their drills alike.
_OVERDUE = "open_at_end AND past_due"
_ON_TIME = "closed AND on_time"
_RATED = "closed AND satisfaction IS NOT NULL"
_SATISFIED = "closed AND satisfaction IN ('SATISFIED', 'BASICALLY_SATISFIED')"

_DISPUTE_COUNTS = f"""count(*) FILTER (WHERE opened) AS opened,
       count(*) FILTER (WHERE closed) AS closed,
       count(*) FILTER (WHERE {_OVERDUE}) AS overdue,
       count(*) FILTER (WHERE open_at_end) AS open_at_end,
       coalesce(sum(reports - 1) FILTER (WHERE opened), 0)::bigint AS merged"""

DISPUTE_FIGURES = DISPUTES + f"""
SELECT CASE grouping(category, mediation, status)
         WHEN 3 THEN 'category' WHEN 5 THEN 'mediation' WHEN 6 THEN 'status' ELSE '' END AS dim,
       coalesce(category, mediation, status, '') AS key, {_DISPUTE_COUNTS}
FROM disputes
GROUP BY GROUPING SETS ((), (category), (mediation), (status))
UNION ALL
SELECT 'body', body, {_DISPUTE_COUNTS}
FROM disputes CROSS JOIN LATERAL (VALUES (body_a), (nullif(body_b, body_a))) AS reported (body)
WHERE body IS NOT NULL
GROUP BY body
"""

# The community's appeals; those received or closed in the period, with their period flags.
_APPEAL = "f.community_code = $1 AND f.kind = 'appeal' AND $2::date <= $3::date"
APPEALS = f"""
WITH appeals AS (
  SELECT f.partner, f.entity, f.local_id, f.opened_on, f.household_id,
         coalesce(f.channel, 'NONE') AS channel, coalesce(f.category, 'NONE') AS type, f.topic,
         f.opened_on BETWEEN $2 AND $3 AS received,
         coalesce(f.closed_on BETWEEN $2 AND $3, false) AS closed,
         f.closed_on <= f.due_on AS on_time, f.satisfaction
  FROM facts f
  WHERE {_APPEAL} AND (f.opened_on BETWEEN $2 AND $3 OR f.closed_on BETWEEN $2 AND $3)
)"""

# Where an appeal came from: the building of its linked household.
_BUILDING = "(SELECT h.building_id FROM households h WHERE h.id = a.household_id)"

APPEAL_FIGURES = APPEALS + rf""", tallies AS (
  SELECT CASE grouping(channel, type, topic)
           WHEN 3 THEN 'channel' WHEN 5 THEN 'type' WHEN 6 THEN 'topic' ELSE '' END AS dim,
         coalesce(channel, type, topic, '') AS key, coalesce(channel, type, topic, '') AS label,
         count(*) FILTER (WHERE received) AS received,
         count(*) FILTER (WHERE closed) AS closed,
         count(*) FILTER (WHERE {_ON_TIME}) AS on_time,
         count(*) FILTER (WHERE closed AND on_time IS NOT NULL) AS timed,
         count(*) FILTER (WHERE {_RATED}) AS rated,
         count(*) FILTER (WHERE {_SATISFIED}) AS satisfied
  FROM appeals
  GROUP BY GROUPING SETS ((), (channel), (type), (topic))
  UNION ALL
  SELECT 'location', b.id::text,
         c.name || b.number || CASE WHEN b.number ~ '\d$' THEN '号楼' ELSE '' END,
         sum(n)::bigint, 0, 0, 0, 0, 0
  FROM (SELECT {_BUILDING} AS building_id, count(*) AS n FROM appeals a
        WHERE a.received AND a.household_id IS NOT NULL GROUP BY a.household_id) p
  JOIN buildings b ON b.id = p.building_id
  JOIN compounds c ON c.id = b.compound_id
  GROUP BY b.id, c.name
)
SELECT * FROM (
  SELECT t.*, row_number() OVER (PARTITION BY t.dim ORDER BY t.received DESC, t.label) AS rank
  FROM tallies t
  WHERE t.dim NOT IN ('topic', 'location') OR t.received > 0 AND t.key <> '') r
WHERE r.dim NOT IN ('topic', 'location') OR r.rank <= 10
"""

# Services opened in the period, and 五卡 cards issued by its end, with their period flags.
SERVICES = """
WITH services AS (
  SELECT f.partner, f.entity, f.local_id, f.opened_on, f.kind, f.body,
         coalesce(f.subkind, 'NONE') AS subkind,
         f.opened_on BETWEEN $2 AND $3 AS opened,
         f.kind = 'care_card' AND (f.is_open OR f.closed_on > $3) AS active
  FROM facts f
  WHERE f.community_code = $1 AND $2::date <= $3::date
    AND (f.kind = 'service' AND f.opened_on BETWEEN $2 AND $3
         OR f.kind = 'care_card' AND f.opened_on <= $3)
)"""

# Counted once by (kind, body, subkind), then rolled up: dim 'total' per kind, 'body', 'kind'
# (body and subkind), 'subkind'.
SERVICE_FIGURES = SERVICES + """, counted AS (
  SELECT kind, body, subkind, count(*) FILTER (WHERE opened) AS opened,
         count(*) FILTER (WHERE active) AS active
  FROM services GROUP BY kind, body, subkind
)
SELECT kind, CASE grouping(body, subkind) WHEN 3 THEN 'total' WHEN 1 THEN 'body'
                                          WHEN 0 THEN 'kind' ELSE 'subkind' END AS dim,
       coalesce(body, '') AS body, coalesce(subkind, '') AS key,
       sum(opened)::bigint AS opened, sum(active)::bigint AS active
FROM counted
GROUP BY GROUPING SETS ((kind), (kind, body), (kind, body, subkind), (kind, subkind))
"""

_ORDER = "ORDER BY opened_on DESC NULLS LAST, partner, entity, local_id"

# The non-canonical reports of the disputes opened in the period: what deduplication dropped.
_MERGED = """(SELECT r.partner, r.entity, r.local_id, r.opened_on, d.category FROM ranked r
   JOIN disputes d USING (grp) WHERE r.n > 1 AND d.opened) merged"""

# On a headline figure $4 may narrow the list to one group of its main breakdown (a dispute
# category, an appeal channel, a service body, a card kind): the cells of that breakdown.
_CATEGORY, _CHANNEL = "($4::text IS NULL OR category = $4)", "($4::text IS NULL OR channel = $4)"
_BODY, _CARD = "($4::text IS NULL OR body = $4)", "($4::text IS NULL OR subkind = $4)"

_MEDIATION, _REPORTED_BY = "mediation = $4", "$4 IN (body_a, body_b)"

# figure -> (section CTE, what it selects from, which rows). A breakdown's first measure is
# `section.breakdown`; its others are `section.breakdown.measure`, unless the headline figure
# narrowed by its main breakdown already lists them (`disputes.closed` by category).
DRILLS: dict[str, tuple[str, str, str]] = {
    "disputes.opened": (DISPUTES, "disputes", f"opened AND {_CATEGORY}"),
    "disputes.closed": (DISPUTES, "disputes", f"closed AND {_CATEGORY}"),
    "disputes.overdue": (DISPUTES, "disputes", f"{_OVERDUE} AND {_CATEGORY}"),
    "disputes.openAtEnd": (DISPUTES, "disputes", f"open_at_end AND {_CATEGORY}"),
    "disputes.reportsMerged": (DISPUTES, _MERGED, _CATEGORY),
    "disputes.byCategory": (DISPUTES, "disputes", "opened AND category = $4"),
    "disputes.byMediationType": (DISPUTES, "disputes", f"opened AND {_MEDIATION}"),
    "disputes.byMediationType.closed": (DISPUTES, "disputes", f"closed AND {_MEDIATION}"),
    "disputes.byMediationType.overdue": (DISPUTES, "disputes", f"{_OVERDUE} AND {_MEDIATION}"),
    "disputes.byReportingBody": (DISPUTES, "disputes", f"opened AND {_REPORTED_BY}"),
    "disputes.byReportingBody.closed": (DISPUTES, "disputes", f"closed AND {_REPORTED_BY}"),
    "disputes.byReportingBody.overdue": (DISPUTES, "disputes",
                                         f"{_OVERDUE} AND {_REPORTED_BY}"),
    "disputes.byStatus": (DISPUTES, "disputes", "opened AND status = $4"),
    "appeals.received": (APPEALS, "appeals", f"received AND {_CHANNEL}"),
    "appeals.closed": (APPEALS, "appeals", f"closed AND {_CHANNEL}"),
    "appeals.onTime": (APPEALS, "appeals", f"{_ON_TIME} AND {_CHANNEL}"),
    "appeals.rated": (APPEALS, "appeals", f"{_RATED} AND {_CHANNEL}"),
    "appeals.satisfied": (APPEALS, "appeals", f"{_SATISFIED} AND {_CHANNEL}"),
    "appeals.byChannel": (APPEALS, "appeals", "received AND channel = $4"),
    "appeals.byType": (APPEALS, "appeals", "received AND type = $4"),
    "appeals.byType.closed": (APPEALS, "appeals", "closed AND type = $4"),
    "appeals.byType.onTime": (APPEALS, "appeals", f"{_ON_TIME} AND type = $4"),
    "appeals.topLocations": (APPEALS, "appeals a", f"received AND {_BUILDING}::text = $4"),
    "appeals.topTopics": (APPEALS, "appeals", "received AND topic = $4"),
    "services.total": (SERVICES, "services", f"kind = 'service' AND {_BODY}"),
    "services.byBody": (SERVICES, "services", "kind = 'service' AND body = $4"),
    "services.byKind": (SERVICES, "services",
                        "kind = 'service' AND body || '|' || subkind = $4"),
    "services.cardsIssued": (SERVICES, "services", f"kind = 'care_card' AND opened AND {_CARD}"),
    "services.cardsActive": (SERVICES, "services", f"active AND {_CARD}"),
    "services.cardsByKind": (SERVICES, "services",
                             "kind = 'care_card' AND opened AND subkind = $4"),
}


def drill(cte: str, source: str, where: str) -> str:
    """The rows of `source` (a CTE of `cte`) that a figure counts, in the drill order."""
    return f"{cte}\nSELECT partner, entity, local_id FROM {source}\nWHERE {where}\n{_ORDER}"
