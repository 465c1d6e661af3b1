"""Every public parser takes any cell value and never raises (hypothesis-generated garbage)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage import normalize as n

# Text biased towards what partner cells contain: Han characters, digits, markers, masks, dashes.
alphabet = st.sampled_from(
    list("0123456789０１２３Xx*＊-－—#＃/、 \u3000\u200b号楼栋单元室弄路期小区花园王李张女士老〇一二三十")
) | st.characters()
cells = (
    st.text(alphabet, max_size=40)
    | st.none()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.dates()
    | st.binary(max_size=10)
)

PARSERS = [
    n.parse_id, n.repair_candidates, n.mask_id, n.parse_phones, n.extract_phones, n.mask_phone,
    n.parse_name, n.split_names, n.parse_address, n.extract_address, n.parse_date, n.parse_month,
    n.parse_gender, n.parse_political_status, n.parse_relation,
]


@settings(max_examples=150, deadline=None)
@given(cells)
def test_parsers_never_raise(value):
    for parse in PARSERS:
        parse(value)


@settings(max_examples=100, deadline=None)
@given(cells, cells)
def test_comparisons_never_raise_and_stay_in_range(a, b):
    assert 0.0 <= n.name_similarity(a, b) <= 1.0
    assert isinstance(n.phone_matches_partial(a, b), bool)
    assert isinstance(n.id_matches_partial(a, n.parse_id(b)), bool)
    address = n.parse_address(a, known_compounds=["翠湖花园", str(b)])
    key = n.address_key(address)
    assert key is None or key.count("|") == 3


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_parsed_values_are_canonical(text):
    ident = n.parse_id(text)
    if ident.value is not None:
        assert n.parse_id(ident.value) == ident or ident.kind == "legacy15"
    for phone in n.parse_phones(text):
        assert n.parse_phones(phone.value or n.mask_phone(phone))[0] == phone
    day = n.parse_date(text)
    assert day is None or isinstance(day, date)


def test_public_names_are_exported():
    assert sorted(n.__all__) == sorted(set(n.__all__))
    for name in n.__all__:
        assert hasattr(n, name)
