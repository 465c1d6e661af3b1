"""Plotly chart specs (data + layout) built from a brief's breakdowns. Each bar carries the URL
of the list behind it in `customdata`; static/dashboard.js opens it on click.

Charts are at most 560 px wide (CSS), so the print layout fits them on an A4 page as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.views.dashboard._model import Chart, Drill

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
COLOURS = ("#2f6db5", "#3a9a5b", "#d1495b", "#8a63b8")


def _layout(title: str, *, top: float = 0, height: int = 300) -> dict[str, Any]:
    """`top`: the largest value drawn — small counts get whole-number ticks."""
    return {
        "title": {"text": title, "font": {"size": 15}, "x": 0.02},
        "font": {"family": FONT, "size": 12},
        "barmode": "group",
        "height": height, "autosize": True,
        "margin": {"l": 44, "r": 12, "t": 44, "b": 90},
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
        "xaxis": {"automargin": True, "tickangle": -30},
        "yaxis": {"rangemode": "tozero", "automargin": True, "tickformat": ",d",
                  **({"dtick": 1} if top <= 6 else {})},
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "clickmode": "event",
    }


def _note_if_empty(layout: dict[str, Any], values: Sequence[Any]) -> None:
    """A chart with no bar says why, rather than drawing an empty frame."""
    if any(v for v in values):
        return
    hidden = any(v is None for v in values)
    layout["annotations"] = [{
        "text": "数字较小，不予显示（统计用途）" if hidden else "本期无数据",
        "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
        "font": {"size": 14, "color": "#6b7684"}}]


def bars(chart_id: str, title: str, rows: Sequence[dict[str, Any]],
         measures: Sequence[tuple[str, str, str | None]], drill: Drill) -> Chart:
    """One bar trace per measure (field, legend name, drill figure or None)."""
    labels = [r["label"] for r in rows]
    traces = []
    for i, (name, legend, figure) in enumerate(measures):
        values = [r.get(name) for r in rows]
        links = [drill(figure, r["key"], r["label"]) if figure and (r.get(name) or 0) > 0 else None
                 for r in rows]
        traces.append({"type": "bar", "name": legend, "x": labels, "y": values,
                       "customdata": links, "marker": {"color": COLOURS[i % len(COLOURS)]},
                       "hovertemplate": f"%{{x}}<br>{legend}：%{{y}}<extra></extra>"})
    values = [v for t in traces for v in t["y"]]
    layout = _layout(title, top=max((v or 0 for v in values), default=0))
    _note_if_empty(layout, values)
    return Chart(chart_id, title, {"data": traces, "layout": layout})


def meetings(chart_id: str, title: str, rows: Sequence[dict[str, Any]], drill: Drill) -> Chart:
    """Meetings held in the period per kind: red where the kind is overdue."""
    labels = [r["label"] for r in rows]
    colours = [COLOURS[2] if r["overdue"] else COLOURS[1] for r in rows]
    links = [drill("meetings.heldInPeriod", r["kind"], r["label"])
             if (r["heldInPeriod"] or 0) > 0 else None for r in rows]
    hover = [f"下次应开：{r['nextDue'] or '按需'}{'（已超期）' if r['overdue'] else ''}"
             for r in rows]
    trace = {"type": "bar", "name": "本期召开", "x": labels, "y": [r["heldInPeriod"] for r in rows],
             "customdata": links, "text": hover, "marker": {"color": colours},
             "textposition": "none",
             "hovertemplate": "%{x}<br>本期召开：%{y}<br>%{text}<extra></extra>"}
    layout = _layout(title, top=max((r["heldInPeriod"] or 0 for r in rows), default=0))
    layout["showlegend"] = False
    _note_if_empty(layout, [r["heldInPeriod"] for r in rows])
    return Chart(chart_id, title, {"data": [trace], "layout": layout})
