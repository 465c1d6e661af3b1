"""How close a predicted clustering of records is to the true one.

Two families of figures, both over the records whose truth is known:

- pairwise: every pair of records put in one cluster is a predicted pair; precision is the share
  of predicted pairs that are true pairs, recall the share of true pairs predicted. Large clusters
  weigh quadratically, so one wrong merge of two big households costs a lot.
- B-cubed: per record, precision is the share of its predicted cluster that truly belongs with
  it, recall the share of its true cluster found in its predicted one; both averaged over records,
  so every record weighs the same.

Counts come from the contingency table (records per predicted × true cluster), never from
enumerating pairs: a district of 600,000 records scores in about a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Scores:
    records: int  # records scored (truth not None)
    pairs_true: int
    pairs_predicted: int
    pairs_correct: int
    precision: float  # pairwise
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(part: float, whole: float) -> float:
    """Part of a whole; nothing asked of an empty whole, so it is fully met (1.0)."""
    return part / whole if whole else 1.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def cluster_scores(
    predicted: Mapping[K, Hashable | None], truth: Mapping[K, Hashable | None]
) -> Scores:
    """Score `predicted` against `truth` (record → cluster label).

    Records whose truth is None are left out. A record whose predicted label is None, or that
    `predicted` does not name, is a cluster of its own.
    """
    # Predicted labels as numbers: labels from 0 up, singletons from -1 down, so none collide.
    labels: dict[Hashable, int] = {}
    singletons = 0
    cells: Counter[tuple[int, Hashable]] = Counter()
    for key, true_label in truth.items():
        if true_label is None:
            continue
        label = predicted.get(key)
        if label is None:
            singletons += 1
            number = -singletons
        else:
            number = labels.setdefault(label, len(labels))
        cells[(number, true_label)] += 1
    pred_sizes: Counter[int] = Counter()
    true_sizes: Counter[Hashable] = Counter()
    for (number, true_label), n in cells.items():
        pred_sizes[number] += n
        true_sizes[true_label] += n
    records = sum(pred_sizes.values())
    correct = sum(_pairs(n) for n in cells.values())
    pairs_predicted = sum(_pairs(n) for n in pred_sizes.values())
    pairs_true = sum(_pairs(n) for n in true_sizes.values())
    precision = _ratio(correct, pairs_predicted)
    recall = _ratio(correct, pairs_true)
    b_precision = _ratio(sum(n * n / pred_sizes[p] for (p, _), n in cells.items()), records)
    b_recall = _ratio(sum(n * n / true_sizes[t] for (_, t), n in cells.items()), records)
    return Scores(
        records=records, pairs_true=pairs_true, pairs_predicted=pairs_predicted,
        pairs_correct=correct, precision=precision, recall=recall,
        f1=_f1(precision, recall), bcubed_precision=b_precision, bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
    )


__all__ = ["Scores", "cluster_scores"]
