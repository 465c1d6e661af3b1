"""What the brief does to its own figures for the caller: suppression of small counts, blank
sections for partners never synced, and the frozen brief's JSON round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gateway.errors import PeriodInFuture, PeriodReversed
from gateway.schema.brief import (
    AppealFigures,
    AppealTally,
    CoordinationBrief,
    MeetingCompliance,
    PartnerFreshness,
    Tally,
)
from gateway.views.brief import _blind, blank, scope_of, suppress
from gateway.views.config import BriefConfig
from gateway.views.frozen import canonical, plain, rebuild


def _appeals(received: int, closed: int) -> AppealFigures:
    return AppealFigures(received=received, closed=closed, on_time_rate=0.5, rated=closed,
                         satisfaction_rate=0.75,
                         by_channel=[AppealTally(key="HOTLINE", label="12345热线", received=3,
                                                 closed=0, on_time=7)],
                         by_type=[], top_locations=[Tally(key="1", label="1号楼", count=12)],
                         top_topics=[])


def test_small_counts_and_the_rates_beside_them_are_suppressed() -> None:
    figures = _appeals(received=40, closed=4)
    suppress(figures, 5)
    assert figures.received == 40 and figures.closed is None and figures.rated is None
    assert figures.on_time_rate is None and figures.satisfaction_rate is None
    row = figures.by_channel[0]
    assert (row.received, row.closed, row.on_time) == (None, 0, 7)
    assert figures.top_locations[0].count == 12


def test_large_counts_keep_their_rates() -> None:
    figures = _appeals(received=40, closed=20)
    suppress(figures, 5)
    assert (figures.closed, figures.on_time_rate, figures.satisfaction_rate) == (20, 0.5, 0.75)


def test_a_blank_section_has_no_figure_but_keeps_its_flags() -> None:
    meeting = MeetingCompliance(kind="REPORT", label="报告会", cadence="SEMIANNUAL",
                                held_in_period=0, last_held=None, next_due=date(2026, 1, 1),
                                overdue=True)
    blank([meeting])
    assert meeting.held_in_period is None and meeting.overdue is True


def _fresh(partner: str, status: str, sections: list[str]) -> PartnerFreshness:
    return PartnerFreshness(partner=partner, name=partner, as_of=None, age_seconds=None,
                            status=status, sections=sections)


def test_a_section_is_blind_only_when_no_feeding_partner_has_a_snapshot() -> None:
    fresh = [_fresh("mediation", "NO_SNAPSHOT", ["disputes", "needs"]),
             _fresh("hotline", "OK", ["disputes", "appeals", "needs"]),
             _fresh("rc", "NO_SNAPSHOT", ["chain", "meetings", "appeals"])]
    blind = _blind(fresh)
    assert "meetings" in blind and "chain" in blind
    assert "disputes" not in blind and "appeals" not in blind


def test_periods_are_checked_and_capped_at_today() -> None:
    config, today = BriefConfig(), date(2026, 11, 28)
    with pytest.raises(PeriodReversed):
        scope_of("c", date(2026, 11, 2), date(2026, 11, 1), today=today, config=config)
    with pytest.raises(PeriodInFuture):
        scope_of("c", date(2026, 11, 29), date(2026, 12, 31), today=today, config=config)
    scope = scope_of("c", date(2026, 9, 1), date(2027, 1, 1), today=today, config=config)
    assert scope.end == today
    # One visit per household a quarter, scaled to the period: 89 days ≈ 0.97 quarters.
    assert scope.visits_per_household == pytest.approx(89 / 91.3125, abs=0.01)


def test_a_brief_survives_its_canonical_json(brief_example: CoordinationBrief) -> None:
    text = canonical(brief_example)
    again = rebuild(CoordinationBrief, plain(brief_example))
    assert again == brief_example and canonical(again) == text


@pytest.fixture
def brief_example() -> CoordinationBrief:
    from gateway.schema import brief as S

    period = S.Period(from_=date(2026, 9, 1), to=date(2026, 11, 28), days=89)
    return S.CoordinationBrief(
        community="110105001003", community_name="光明社区", period=period,
        computed_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC), suppressed_below=None,
        disputes=S.DisputeFigures(opened=3, closed=1, overdue=0, open_at_end=2, reports_merged=1,
                                  by_category=[S.DisputeTally(key="NEIGHBOR", label="邻里纠纷",
                                                              opened=3, closed=1, overdue=0)],
                                  by_status=[], by_mediation_type=[], by_reporting_body=[]),
        appeals=_appeals(40, 20),
        services=S.ServiceFigures(total=5, by_body=[], by_kind=[], cards_issued=1,
                                  cards_active=2, cards_by_kind=[]),
        chain=S.ChainFigures(households=10, households_without_member=1, buildings=2,
                             buildings_without_committee_member=0, compounds=1,
                             compounds_without_secretary=0, branches=1,
                             branches_without_committee=0),
        visits=S.VisitFigures(visits=4, members=2, members_meeting_target=1,
                              target_per_household=0.97,
                              short_of_target=[S.MemberVisits(member_id="PartyMember:party:7",
                                                              name="王*", households=3, visits=1,
                                                              target=3, met=False)]),
        meetings=[S.MeetingCompliance(kind="HEARING", label="听证会", cadence="AS_NEEDED",
                                      held_in_period=1, last_held=date(2026, 10, 3),
                                      next_due=None, overdue=False)],
        needs=S.NeedFigures(by_need=[], households=[S.UnmetHousehold(
            household_id="Household:110105001003-01-0007", needs=["HARDSHIP_NO_CARE_CARD"],
            seen_by=["工会"], helpers=[S.SuggestedHelper(member_id="PartyMember:party:9",
                                                       name="李*", member_type="SERVICE",
                                                       distance="SAME_BUILDING")])]),
        freshness=[_fresh("hall", "OK", ["services"])], missing=[], withheld=[])
