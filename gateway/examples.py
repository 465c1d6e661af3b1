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
    services { kind title status openedAt source { body localId readAt live } }
    disputes { number category status mediationType alsoReportedBy { body localId }
               source { body localId readAt } }
    appeals { kind number appealType status receivedAt source { body localId readAt } }
    careCards { kind number status source { body } }
    contactVisits { visitedOn mode member { name } source { body } }
    sourceRecords { partner entity localId linkMethod confidence }
  }
}"""

COMMUNITY_PAGE = """\
query CommunityHouseholds($community: ID!, $after: String) {
  households(community: $community, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id address { normalized }
                   disputes { status } appeals { appealType }
                   responsibleMember { name } } }
  }
}"""

FIND_AND_PARTNERS = """\
query FindByAddress($address: String!) {
  findHouseholds(address: $address) { score matched household { id address { normalized } } }
  partners { slug nameZh kind live health lastSync records quarantined }
}"""
