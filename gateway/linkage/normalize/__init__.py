"""Normalizers that turn partner values into comparable, canonical forms for record linkage.

Every function takes ``object`` (cells arrive as str, int, float, None or worse), never raises,
does no I/O and is cheap enough to run over a million records.
"""

from __future__ import annotations

from .addresses import (
    Address,
    address_block_key,
    address_key,
    compound_stem,
    extract_address,
    parse_address,
)
from .codes import parse_gender, parse_political_status, parse_relation
from .dates import parse_date, parse_month
from .ids import IdNumber, id_matches_partial, mask_id, parse_id, repair_candidates
from .names import PersonName, name_similarity, parse_name, split_names
from .phones import Phone, extract_phones, mask_phone, parse_phones, phone_matches_partial

__all__ = [
    "Address",
    "IdNumber",
    "PersonName",
    "Phone",
    "address_block_key",
    "address_key",
    "compound_stem",
    "extract_address",
    "extract_phones",
    "id_matches_partial",
    "mask_id",
    "mask_phone",
    "name_similarity",
    "parse_address",
    "parse_date",
    "parse_gender",
    "parse_id",
    "parse_month",
    "parse_name",
    "parse_phones",
    "parse_political_status",
    "parse_relation",
    "phone_matches_partial",
    "repair_candidates",
    "split_names",
]
