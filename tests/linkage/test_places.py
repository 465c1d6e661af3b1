"""Places as bodies write them: a property company's lettered building codes resolve to the
registry's building number only where that is the one reading."""

from __future__ import annotations

from gateway.linkage.normalize import parse_address
from gateway.linkage.places import compound_key, registered_building

# Compound 1 numbers its buildings; compound 2 letters some of them (A座 and 1号楼 both exist).
BUILDINGS = {(1, "1"), (1, "2"), (2, "A1"), (2, "1")}


def test_a_letter_coded_building_resolves_to_the_registered_number() -> None:
    addr = parse_address("朝阳里小区A01-2-0202")
    assert (addr.building, addr.entrance, addr.room) == ("A1", "2", "202")
    assert registered_building(addr.building, [1], BUILDINGS) == "1"


def test_what_is_not_that_reading_stays_as_written() -> None:
    assert registered_building("A1", [2], BUILDINGS) == "A1"  # a real A座 there
    assert registered_building("A3", [1], BUILDINGS) == "A3"  # no building 3 either way
    assert registered_building("A1", [1, 2], BUILDINGS) == "A1"  # which compound is unsure
    assert registered_building("A1", [], BUILDINGS) == "A1"
    assert registered_building("东1", [1], BUILDINGS) == "东1"
    assert registered_building("2", [1], BUILDINGS) == "2"
    assert registered_building(None, [1], BUILDINGS) is None


def test_compound_names_keep_their_key() -> None:
    assert compound_key("朝阳里小区") == compound_key("朝阳里") == "朝阳里"
