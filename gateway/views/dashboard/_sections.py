"""A brief (as GraphQL answered it) → the sections a page shows, in the meeting's order.

Figure names are `briefItems`' (`section.field`, with the breakdown's group as `key`); a number
links to its list only where the API names one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway.views.dashboard import _charts as charts
from gateway.views.dashboard._messages import (
    BODIES,
    CADENCES,
    DISTANCES,
    MEMBER_TYPES,
    SECTIONS,
    error_text,
)
from gateway.views.dashboard._model import Card, Cell, Numbers, Section, Table, text

# (field, column) of each measure of a dispute or appeal breakdown, and the figure whose list a
# cell of that column opens with the row's key (None: the API names no such list).
DISPUTE_MEASURES = (("opened", "新发"), ("closed", "办结"), ("overdue", "超期未结"))
DISPUTE_DRILLS = {
    "byCategory": {"opened": "disputes.byCategory", "closed": "disputes.closed",
                   "overdue": "disputes.overdue"},
    "byMediationType": {"opened": "disputes.byMediationType",
                        "closed": "disputes.byMediationType.closed",
                        "overdue": "disputes.byMediationType.overdue"},
    "byReportingBody": {"opened": "disputes.byReportingBody",
                        "closed": "disputes.byReportingBody.closed",
                        "overdue": "disputes.byReportingBody.overdue"},
}
APPEAL_MEASURES = (("received", "受理"), ("closed", "办结"), ("onTime", "按时办结"))
APPEAL_DRILLS = {
    "byChannel": {"received": "appeals.byChannel", "closed": "appeals.closed",
                  "onTime": "appeals.onTime"},
    "byType": {"received": "appeals.byType", "closed": "appeals.byType.closed",
               "onTime": "appeals.byType.onTime"},
}


def _breakdown(title: str, first: str, rows: Sequence[dict[str, Any]],
               measures: Sequence[tuple[str, str]], drills: dict[str, str],
               n: Numbers) -> Table:
    body = [[text(r["label"]), *(n.count(r[f], drills.get(f), r["key"], label=r["label"])
                                 for f, _ in measures)] for r in rows]
    return Table(title, [first, *(c for _, c in measures)], body)


def _tally(title: str, first: str, rows: Sequence[dict[str, Any]], figure: str | None,
           n: Numbers, column: str = "件数") -> Table:
    return Table(title, [first, column],
                 [[text(r["label"]), n.count(r["count"], figure, r["key"], label=r["label"])]
                  for r in rows])


def disputes(d: dict[str, Any], n: Numbers, s: Section) -> None:
    u = bool(s.missing) and d["opened"] is None
    s.cards = [Card("新发纠纷", n.count(d["opened"], "disputes.opened", unknown=u)),
               Card("办结", n.count(d["closed"], "disputes.closed", unknown=u)),
               Card("超期未结", n.count(d["overdue"], "disputes.overdue", unknown=u)),
               Card("期末未结", n.count(d["openAtEnd"], "disputes.openAtEnd", unknown=u)),
               Card("多方重复报告（已合并）",
                    n.count(d["reportsMerged"], "disputes.reportsMerged", unknown=u))]
    s.charts = [charts.bars("chart-disputes", "纠纷按类别", d["byCategory"], [
        (f, c, DISPUTE_DRILLS["byCategory"].get(f)) for f, c in DISPUTE_MEASURES], n.drill)]
    s.tables = [
        _breakdown("按类别", "类别", d["byCategory"], DISPUTE_MEASURES,
                   DISPUTE_DRILLS["byCategory"], n),
        _tally("本期新发纠纷的当前状态", "状态", d["byStatus"], "disputes.byStatus", n),
        _breakdown("按调解类型", "调解类型", d["byMediationType"], DISPUTE_MEASURES,
                   DISPUTE_DRILLS["byMediationType"], n),
        _breakdown("按报告单位（一件纠纷多方报告时各计一次）", "报告单位", d["byReportingBody"],
                   DISPUTE_MEASURES, DISPUTE_DRILLS["byReportingBody"], n),
    ]


def appeals(a: dict[str, Any], n: Numbers, s: Section) -> None:
    u = bool(s.missing) and a["received"] is None
    s.cards = [Card("受理诉求", n.count(a["received"], "appeals.received", unknown=u)),
               Card("办结", n.count(a["closed"], "appeals.closed", unknown=u)),
               Card("按时办结率", n.rate(a["onTimeRate"], "appeals.onTime")),
               Card("参与评价", n.count(a["rated"], "appeals.rated", unknown=u)),
               Card("满意率", n.rate(a["satisfactionRate"], "appeals.satisfied"))]
    s.charts = [charts.bars("chart-appeals", "诉求按渠道", a["byChannel"], [
        (f, c, APPEAL_DRILLS["byChannel"].get(f)) for f, c in APPEAL_MEASURES], n.drill)]
    s.tables = [
        _breakdown("按渠道", "渠道", a["byChannel"], APPEAL_MEASURES, APPEAL_DRILLS["byChannel"], n),
        _breakdown("按类型", "类型", a["byType"], APPEAL_MEASURES, APPEAL_DRILLS["byType"], n),
        _tally("高发地点（舆情）", "地点", a["topLocations"], "appeals.topLocations", n),
        _tally("高发话题（舆情）", "话题", a["topTopics"], "appeals.topTopics", n),
    ]


def services(v: dict[str, Any], n: Numbers, s: Section) -> None:
    u = bool(s.missing) and v["total"] is None
    s.cards = [Card("服务办件", n.count(v["total"], "services.total", unknown=u)),
               Card("五卡发放", n.count(v["cardsIssued"], "services.cardsIssued", unknown=u)),
               Card("期末有效五卡", n.count(v["cardsActive"], "services.cardsActive", unknown=u))]
    s.charts = [charts.bars("chart-services", "服务按单位", v["byBody"],
                            [("count", "办件", "services.byBody")], n.drill)]
    kinds = [[text(r["bodyLabel"]), text(r["label"]),
              n.count(r["count"], "services.byKind", f"{r['body']}|{r['key']}",
                      label=f"{r['bodyLabel']} · {r['label']}")]
             for r in v["byKind"]]
    s.tables = [_tally("按单位", "单位", v["byBody"], "services.byBody", n),
                Table("按单位与事项（前 20）", ["单位", "事项", "件数"], kinds),
                _tally("五卡按种类", "卡种", v["cardsByKind"], "services.cardsByKind", n, "张数")]


def chain(c: dict[str, Any], n: Numbers, s: Section) -> None:
    u = bool(s.missing) and c["households"] is None

    def gap(label: str, value: int | None, figure: str) -> Card:
        cell = n.count(value, figure, unknown=u)
        if value:
            cell = Cell(cell.text, cell.value, cell.href, tone="bad")
        return Card(label, cell)

    s.cards = [Card("户数", n.count(c["households"], "chain.households", unknown=u)),
               gap("无党员包户的户", c["householdsWithoutMember"], "chain.householdsWithoutMember"),
               Card("楼栋", n.count(c["buildings"], "chain.buildings", unknown=u)),
               gap("无支委包楼的楼栋", c["buildingsWithoutCommitteeMember"],
                   "chain.buildingsWithoutCommitteeMember"),
               Card("院落", n.count(c["compounds"], "chain.compounds", unknown=u)),
               gap("无书记包院的院落", c["compoundsWithoutSecretary"],
                   "chain.compoundsWithoutSecretary"),
               Card("支部", n.count(c["branches"], "chain.branches", unknown=u)),
               gap("党委未包联的支部", c["branchesWithoutCommittee"],
                   "chain.branchesWithoutCommittee")]


def visits(v: dict[str, Any], n: Numbers, s: Section) -> None:
    u = bool(s.missing) and v["visits"] is None
    s.cards = [Card("联系户走访", n.count(v["visits"], "visits.visits", unknown=u)),
               Card("包户党员", n.count(v["members"], "visits.members", unknown=u)),
               Card("达到目标的党员", n.count(v["membersMeetingTarget"],
                                              "visits.membersMeetingTarget", unknown=u)),
               Card("每户目标走访次数", Cell(f"{v['targetPerHousehold']:g}",
                                             v["targetPerHousehold"]))]
    rows = [[text(m["name"]), n.count(m["households"], "visits.shortOfTarget", m["memberId"],
                     label=m["name"]),
             n.count(m["visits"], "visits.shortOfTarget.visits", m["memberId"], label=m["name"]),
             Cell(str(m["target"]), m["target"]),
             Cell("达标" if m["met"] else "未达标", m["met"], tone="" if m["met"] else "bad")]
            for m in v["shortOfTarget"]]
    s.tables = [Table("未达标党员（差距最大在前）", ["党员", "包户数", "走访", "目标", "状态"], rows,
                      empty=_no_list(n))]


def meetings(rows: list[dict[str, Any]], n: Numbers, s: Section) -> None:
    s.charts = [charts.meetings("chart-meetings", "四会本期召开次数", rows, n.drill)]
    body = [[text(m["label"]), text(CADENCES.get(m["cadence"], m["cadence"])),
             n.count(m["heldInPeriod"], "meetings.heldInPeriod", m["kind"], label=m["label"]),
             text(m["lastHeld"]), text(m["nextDue"] or "按需"),
             Cell("已超期" if m["overdue"] else "正常", m["overdue"],
                  tone="bad" if m["overdue"] else "good")]
            for m in rows]
    s.tables = [Table("四会落实情况", ["会议", "频次", "本期召开", "最近召开", "下次应召开", "状态"],
                      body)]


def _no_list(n: Numbers) -> str:
    """What an empty list of households or members says: none, or none for this purpose."""
    return "统计用途不提供名单" if n.suppressed_below else "无"


SHOWN_HOUSEHOLDS = 20  # the rest are a click away, in the list behind each need


def _helpers(helpers: list[dict[str, Any]]) -> str:
    return "、".join(
        f"{h['name'] or '—'}（{MEMBER_TYPES.get(h['memberType'] or '', '党员')}，"
        f"{DISTANCES.get(h['distance'], h['distance'])}）" for h in helpers[:3])


def needs(v: dict[str, Any], n: Numbers, s: Section) -> None:
    labels = {t["key"]: t["label"] for t in v["byNeed"]}
    listed = v["households"]
    households = [[text(h["householdId"].removeprefix("Household:")),
                   text("、".join(labels.get(c, c) for c in h["needs"])),
                   text("、".join(BODIES.get(b, b) for b in h["seenBy"])),
                   text(_helpers(h["helpers"]) or None)]
                  for h in listed[:SHOWN_HOUSEHOLDS]]
    title = "需求未满足的户与建议帮扶党员"
    if len(listed) > SHOWN_HOUSEHOLDS:
        title += f"（共 {len(listed)} 户，此处列前 {SHOWN_HOUSEHOLDS} 户，完整名单点按需求的户数）"
    s.tables = [_tally("按需求", "需求", v["byNeed"], "needs.byNeed", n, "户数"),
                Table(title, ["户", "需求", "发现单位", "建议帮扶（就近）"], households,
                      empty=_no_list(n))]


# (field, column, figure) of each compound's row in the 四位一体 table.
PROPERTY_COLUMNS = (
    ("rooms", "房屋", "property.rooms"), ("vacant", "空置", "property.vacant"),
    ("rented", "出租", "property.rented"), ("repairsOpened", "本期报修", "property.repairsOpened"),
    ("repairsDone", "本期完工", "property.repairsDone"),
    ("repairsOpenAtEnd", "期末未完成", "property.repairsOpenAtEnd"),
    ("roomsInArrears", "欠费房屋", "property.roomsInArrears"),
    ("arrearsMonths", "欠费月数合计", None), ("mattersVoted", "表决事项", "property.mattersVoted"),
    ("ballots", "表决票", "property.ballots"))


def _sum(value: int | None, n: Numbers) -> Cell:
    """A sum, not a count of things: no list behind it (a count cell would link one)."""
    if value is None:
        return n.count(None)
    return Cell(f"{value:,}", value)


def property_(v: dict[str, Any] | None, n: Numbers, s: Section) -> None:
    if v is None:  # a brief frozen before the section existed
        s.notes.append("该简报冻结时尚无此部分")
        return
    t = v["total"]
    u = bool(s.missing) and t["rooms"] is None
    s.cards = [Card("物业登记房屋", n.count(t["rooms"], "property.rooms", unknown=u)),
               Card("本期报修", n.count(t["repairsOpened"], "property.repairsOpened", unknown=u)),
               Card("期末未完成报修", n.count(t["repairsOpenAtEnd"], "property.repairsOpenAtEnd",
                                              unknown=u)),
               Card("欠费房屋", n.count(t["roomsInArrears"], "property.roomsInArrears",
                                        unknown=u)),
               Card("本期业主表决票", n.count(t["ballots"], "property.ballots", unknown=u))]
    body = [[text(c["compound"]), *(n.count(c[f], figure, c["compoundId"], label=c["compound"])
                                    if figure else _sum(c[f], n)
                                    for f, _, figure in PROPERTY_COLUMNS)]
            for c in v["byCompound"]]
    s.tables = [Table("按院落", ["院落", *(c for _, c, _ in PROPERTY_COLUMNS)], body)]


Builder = Callable[[Any, Numbers, Section], None]
BUILDERS: dict[str, Builder] = {
    "disputes": disputes, "appeals": appeals, "services": services, "chain": chain,
    "visits": visits, "meetings": meetings, "needs": needs, "property": property_}


def sections(brief: dict[str, Any], n: Numbers) -> list[Section]:
    """The brief's sections, each with the partners it lacks and the lists withheld from it."""
    fresh = brief["freshness"]
    out = []
    for key, build in BUILDERS.items():
        s = Section(key, SECTIONS[key])
        feeding = [f for f in fresh if key in f["sections"]]
        s.missing = [f["name"] for f in feeding if f["status"] == "NO_SNAPSHOT"]
        s.down = [f["name"] for f in feeding if f["status"] == "DOWN"]
        build(brief[key], n, s)
        for entry in brief["withheld"]:
            field, _, code = entry.partition(":")
            if field.split(".")[0] == key:
                s.notes.append(f"名单未提供：{error_text(code.strip())}（{code.strip()}）")
        out.append(s)
    return out
