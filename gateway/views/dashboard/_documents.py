"""The GraphQL documents the dashboard runs — the only way it reads or writes anything.

Literals stay in variables, so the parser and validation caches hit (DESIGN.md §8)."""

from __future__ import annotations

BRIEF_FIELDS = """
fragment BriefFields on CoordinationBrief {
  community communityName computedAt suppressedBelow missing withheld
  period { from to days }
  disputes {
    opened closed overdue openAtEnd reportsMerged
    byCategory { key label opened closed overdue }
    byStatus { key label count }
    byMediationType { key label opened closed overdue }
    byReportingBody { key label opened closed overdue }
  }
  appeals {
    received closed onTimeRate rated satisfactionRate
    byChannel { key label received closed onTime }
    byType { key label received closed onTime }
    topLocations { key label count }
    topTopics { key label count }
  }
  services {
    total cardsIssued cardsActive
    byBody { key label count }
    byKind { body bodyLabel key label count }
    cardsByKind { key label count }
  }
  chain {
    households householdsWithoutMember buildings buildingsWithoutCommitteeMember
    compounds compoundsWithoutSecretary branches branchesWithoutCommittee
  }
  visits {
    visits members membersMeetingTarget targetPerHousehold
    shortOfTarget { memberId name households visits target met }
  }
  meetings { kind label cadence heldInPeriod lastHeld nextDue overdue }
  needs {
    byNeed { key label count }
    households { householdId needs seenBy helpers { memberId name memberType distance } }
  }
  property {
    total { ...CompoundPropertyFields }
    byCompound { ...CompoundPropertyFields }
  }
  freshness { partner name asOf ageSeconds status sections }
}
"""

PROPERTY_FIELDS = """
fragment CompoundPropertyFields on CompoundPropertyFigures {
  compoundId compound rooms ownerOccupied rented vacant repairsOpened repairsDone
  repairsOpenAtEnd roomsInArrears arrearsMonths mattersVoted ballots ballotArea
}
"""
BRIEF_FIELDS += PROPERTY_FIELDS

FROZEN_FIELDS = """
fragment FrozenFields on FrozenBrief {
  id sha256 frozenAt frozenBy
  asOf { partner name asOf ageSeconds status sections }
  brief { ...BriefFields }
}
"""

DOCUMENTS: dict[str, str] = {
    "DashboardCommunities": "query DashboardCommunities { communities { id code name } }",
    "DashboardBrief": """
query DashboardBrief($community: ID!, $period: PeriodInput!) {
  coordinationBrief(community: $community, period: $period) { ...BriefFields }
}
""" + BRIEF_FIELDS,
    "DashboardItems": """
query DashboardItems($community: ID!, $period: PeriodInput!, $figure: String!, $key: String,
                     $first: Int, $after: String) {
  briefItems(community: $community, period: $period, figure: $figure, key: $key,
             first: $first, after: $after) {
    totalCount withheld pageInfo { endCursor hasNextPage }
    edges { node { partner localId kind label status category openedOn closedOn dueOn
                   householdId } }
  }
}
""",
    "DashboardFreeze": """
mutation DashboardFreeze($community: ID!, $period: PeriodInput!) {
  freezeBrief(community: $community, period: $period) { id sha256 }
}
""",
    "DashboardFrozen": """
query DashboardFrozen($id: ID!) {
  frozenBrief(id: $id) { ...FrozenFields }
}
""" + FROZEN_FIELDS + BRIEF_FIELDS,
}
