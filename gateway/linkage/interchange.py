"""The linkage interchange: records and their ground truth as two CSV files (docs/linkage.md).

UTF-8 (a byte-order mark is accepted), comma-separated, a header row naming the columns in any
order; an empty cell is an unknown value. Every reading problem raises `InterchangeInvalid`
naming the file, and the line and column to blame.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import InterchangeInvalid

RECORD_COLUMNS = ("source", "record_id", "name", "id_number", "phone", "address", "birth_date",
                  "gender", "free_text")
OPTIONAL_RECORD_COLUMNS = ("household_ref", "community", "community_name", "target_level",
                           "affinity")
TRUTH_COLUMNS = ("source", "record_id", "true_person_id", "true_household_id")

Key = tuple[str, str]  # (source, record_id)


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One record of the records file; fields in the order of its columns."""

    source: str
    record_id: str
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    free_text: str | None = None
    household_ref: str | None = None
    community: str | None = None
    community_name: str | None = None
    target_level: str | None = None
    affinity: str | None = None

    @property
    def key(self) -> Key:
        return (self.source, self.record_id)


@dataclass(frozen=True, slots=True)
class TruthRow:
    source: str
    record_id: str
    person: str | None = None
    household: str | None = None

    @property
    def key(self) -> Key:
        return (self.source, self.record_id)


def _invalid(path: Path, message: str, *, line: int | None = None,
             column: str | int | None = None) -> InterchangeInvalid:
    where = "".join([f", line {line}" if line else "",
                     f", column {column}" if column is not None else ""])
    return InterchangeInvalid(f"{path.name}{where}: {message}", file=str(path), line=line,
                              column=column)


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _invalid(path, f"byte {byte} of the line is not UTF-8; save the file as UTF-8 "
                       "(GBK and GB18030 are not read)", line=line, column=byte) from exc


def _header(path: Path, reader: Iterator[list[str]], required: Sequence[str]) -> dict[str, int]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise _invalid(path, "empty file: expected a header row", line=1) from None
    except csv.Error as exc:
        raise _invalid(path, str(exc), line=1) from exc
    for name in header:
        if header.count(name) > 1:
            raise _invalid(path, "column named twice in the header", line=1, column=name)
    missing = [name for name in required if name not in header]
    if missing:
        raise _invalid(path, f"missing required column(s) {', '.join(missing)}; the header has "
                       f"{', '.join(header)}", line=1, column=missing[0])
    return {name: i for i, name in enumerate(header)}


def _rows(
    path: Path, columns: Sequence[str], required: Sequence[str]
) -> Iterator[list[str | None]]:
    """The cells of `columns` (None: empty or absent) of each non-blank row, `source` and
    `record_id` first, each pair present and seen once."""
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    header = _header(path, reader, required)
    at = [header.get(c) for c in columns]
    seen: dict[Key, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _invalid(path, str(exc), line=line) from exc
        if not cells:
            continue
        if len(cells) != len(header):
            raise _invalid(path, f"{len(cells)} fields where the header has {len(header)}",
                           line=line)
        values = [cells[i] if i is not None and cells[i].strip() else None for i in at]
        source, record_id = (v.strip() if v else None for v in values[:2])
        if not source or not record_id:
            raise _invalid(path, "empty; every row needs a source and a record_id", line=line,
                           column="record_id" if source else "source")
        if (source, record_id) in seen:
            raise _invalid(path, f"record {source}/{record_id} is already on line "
                           f"{seen[(source, record_id)]}", line=line, column="record_id")
        seen[(source, record_id)] = line
        values[:2] = source, record_id
        yield values


def read_records(path: Path) -> list[RecordRow]:
    columns = RECORD_COLUMNS + OPTIONAL_RECORD_COLUMNS
    return [RecordRow(source or "", record_id or "", *rest)
            for source, record_id, *rest in _rows(path, columns, RECORD_COLUMNS)]


def read_truth(path: Path) -> dict[Key, TruthRow]:
    out = {}
    for source, record_id, person, household in _rows(path, TRUTH_COLUMNS, TRUTH_COLUMNS):
        row = TruthRow(source or "", record_id or "", person and person.strip(),
                       household and household.strip())
        out[row.key] = row
    return out


def require_truth(records: Iterable[RecordRow], truth: Mapping[Key, TruthRow],
                  path: Path, *, sample: int = 5) -> None:
    """Refuse a truth file that does not name every record (its values may still be empty)."""
    missing = [r.key for r in records if r.key not in truth]
    if missing:
        named = ", ".join(f"{s}/{r}" for s, r in missing[:sample])
        more = f" and {len(missing) - sample} more" if len(missing) > sample else ""
        raise InterchangeInvalid(
            f"{path.name}: {len(missing)} record(s) of the records file have no truth row: "
            f"{named}{more}", file=str(path), missing=len(missing),
            sample=[list(k) for k in missing[:sample]])


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[str | None]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([("" if v is None else v) for v in row] for row in rows)


def write_records(path: Path, rows: Iterable[RecordRow]) -> None:
    columns = RECORD_COLUMNS + OPTIONAL_RECORD_COLUMNS
    _write(path, columns, ([getattr(r, c) for c in columns] for r in rows))


def write_truth(path: Path, rows: Iterable[TruthRow]) -> None:
    _write(path, TRUTH_COLUMNS, ((r.source, r.record_id, r.person, r.household) for r in rows))


__all__ = ["OPTIONAL_RECORD_COLUMNS", "RECORD_COLUMNS", "TRUTH_COLUMNS", "Key", "RecordRow",
           "TruthRow", "read_records", "read_truth", "require_truth", "write_records",
           "write_truth"]
