"""What the store keeps of a record's subject: the partner's own spelling of each identifying
attribute, plus the forms normalization can give without knowing the district's geography.
Addresses are parsed at link time, when the known compounds are at hand.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gateway.adapters.base import Subject
from gateway.linkage.normalize import extract_phones, parse_id, parse_name, parse_phones


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def subject_attrs(subject: Subject | None) -> dict[str, Any]:
    if subject is None:
        return {}
    name = parse_name(subject.name)
    ident = parse_id(subject.id_number)
    phones = parse_phones(subject.phone)
    address = _plain(subject.address)
    free_text = bool(address and len(address) > 40)
    if free_text:
        # Free text (a hotline caller's account) often carries the full number the mask hides.
        phones += [p for p in extract_phones(address) if p not in phones]
    return {
        "raw": {
            "name": _plain(subject.name),
            "idNumber": _plain(subject.id_number),
            "phone": _plain(subject.phone),
            "address": _plain(subject.address),
        },
        "role": subject.role,
        "community": subject.community,
        "householdLocalId": subject.household_local_id,
        "targetLevel": subject.target_level,
        "affinity": subject.affinity,
        "addressIsFreeText": free_text,
        "name": name.full,
        "surname": name.surname,
        "honorific": name.honorific,
        "pinyin": name.pinyin,
        "id": {"kind": ident.kind, "value": ident.value, "prefix": ident.prefix,
               "suffix": ident.suffix},
        "phones": [asdict(p) for p in phones],
    }
