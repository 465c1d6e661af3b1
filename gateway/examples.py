"""Example operations: printed by `gateway demo`, shown in the README, and run by the tests."""

from __future__ import annotations

HOUSEHOLD_360 = """\
query Household360($id: ID!) {
  household(id: $id) {
    id
    address { normalized compound building entrance room raw }
    community { name streetName }
    residents { name relationToHead residentIdMasked phoneMasked tags source { body readAt } }
    responsibleMember { name branch role source { body localId } }
    responsibilityChain { level owner { name } target }
    servicesConnection(first: 20) {
      totalCount edges { node { kind title status openedAt source { body localId readAt live } } } }
    disputesConnection(first: 20) {
      totalCount edges { node { number category status mediationType alsoReportedBy { body localId }
                                source { body localId readAt } } } }
    appealsConnection(first: 20) {
      totalCount edges { node { kind number appealType status receivedAt
                                source { body localId readAt } } } }
    careCardsConnection(first: 10) { totalCount edges { node { kind number status source { body } } } }
    contactVisitsConnection(first: 10) {
      totalCount edges { node { visitedOn mode member { name } source { body } } } }
    property {
      occupancy { roomCode compound occupancy area source { body localId readAt } }
      owners { name roomCode committeeRole phone source { body } }
      tenants { name phone source { body } }
      repairOrdersConnection(first: 5) {
        totalCount edges { node { number reportedAt category status worker source { body } } } }
      votesConnection(first: 5) {
        totalCount edges { node { matter choice votedOn source { body } } } }
    }
    sourceRecordsConnection(first: 100) {
      totalCount edges { node { partner entity localId linkMethod confidence } } }
  }
}"""

COMMUNITY_PAGE = """\
query CommunityHouseholds($community: ID!, $after: String) {
  households(community: $community, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id address { normalized }
                   disputesConnection(first: 3) { totalCount edges { node { status } } }
                   appealsConnection(first: 3) {
                     totalCount edges { node { appealType source { body } } } }
                   responsibleMember { name } } }
  }
}"""

FIND_AND_PARTNERS = """\
query FindByAddress($address: String!) {
  findHouseholds(address: $address) { score matched household { id address { normalized } } }
  partners { slug nameZh kind live health lastSync records quarantined }
}"""

# --- The IDE's tabs (gateway/ide/_tabs.py): one set per user group --------------------------

FIND_BY_ADDRESS = """\
query FindHouseholdByAddress($address: String!) {
  findHouseholds(address: $address) {
    score
    matched
    household { id address { normalized } community { name } }
  }
}"""

COMMUNITIES = """\
query Communities {
  communities { id code name streetName householdCount }
}"""

COORDINATION_BRIEF = """\
query CoordinationBrief($community: ID!, $period: PeriodInput!) {
  coordinationBrief(community: $community, period: $period) {
    communityName
    period { from to days }
    computedAt
    suppressedBelow
    missing
    withheld
    disputes { opened closed openAtEnd byCategory { key label opened closed } }
    appeals { received closed onTimeRate satisfactionRate byType { key label received } }
    services { total cardsIssued cardsActive byBody { key label count } }
    chain { households buildings branches buildingsWithoutCommitteeMember }
    visits { members visits membersMeetingTarget targetPerHousehold }
    meetings { label cadence heldInPeriod lastHeld nextDue overdue }
    needs { byNeed { key label count } households { householdId needs } }
    freshness { partner name status asOf }
  }
}"""

HOUSEHOLDS_PAGE = """\
query Households($community: ID, $first: Int = 10, $after: String) {
  households(community: $community, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id address { normalized } community { name } } }
  }
}"""

PARTNERS = """\
query Partners {
  partners { slug nameZh kind live health breaker lastSync records quarantined }
}"""

NODE = """\
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Household { address { normalized } community { name } }
    ... on Community { code householdCount }
    ... on Resident { name relationToHead }
    ... on PartyMember { name branch }
    ... on Dispute { number category status }
  }
}"""
