"""Pairwise and B-cubed cluster scores, on cases small enough to check by hand."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.linkage.metrics import cluster_scores

# Two true clusters: {a, b, c} and {d, e}; 3 + 1 = 4 true pairs.
TRUTH = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}


def test_perfect_prediction() -> None:
    s = cluster_scores({"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}, TRUTH)
    assert (s.records, s.pairs_true, s.pairs_predicted, s.pairs_correct) == (5, 4, 4, 4)
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert (s.bcubed_precision, s.bcubed_recall, s.bcubed_f1) == (1.0, 1.0, 1.0)


def test_all_merged() -> None:
    s = cluster_scores(dict.fromkeys(TRUTH, "x"), TRUTH)
    assert (s.pairs_predicted, s.pairs_correct) == (10, 4)
    assert s.precision == pytest.approx(0.4) and s.recall == 1.0
    # a, b, c each see 3 of 5 right; d, e see 2 of 5: (9 + 4) / 5 / 5.
    assert s.bcubed_precision == pytest.approx(13 / 25) and s.bcubed_recall == 1.0


def test_all_split_by_none() -> None:
    s = cluster_scores(dict.fromkeys(TRUTH), TRUTH)
    assert (s.pairs_predicted, s.pairs_correct) == (0, 0)
    assert s.precision == 1.0 and s.recall == 0.0 and s.f1 == 0.0
    # Each record finds only itself: 1/3 of its cluster for a, b, c, 1/2 for d, e.
    assert s.bcubed_precision == 1.0
    assert s.bcubed_recall == pytest.approx((3 * (1 / 3) + 2 * (1 / 2)) / 5)


def test_one_wrong_merge() -> None:
    # c is put with d and e: predicted {a, b}, {c, d, e}.
    s = cluster_scores({"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}, TRUTH)
    assert (s.pairs_predicted, s.pairs_correct, s.pairs_true) == (4, 2, 4)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(0.5)
    # Precision: a, b 2/2; c 1/3; d, e 2/3 each.  Recall: a, b 2/3; c 1/3; d, e 2/2.
    assert s.bcubed_precision == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3) / 5)
    assert s.bcubed_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)


def test_unknown_truth_is_left_out_and_missing_prediction_is_a_singleton() -> None:
    truth = {**TRUTH, "z": None}
    s = cluster_scores({"a": "x", "b": "x", "z": "x"}, truth)
    assert s.records == 5
    assert (s.pairs_predicted, s.pairs_correct) == (1, 1)


def test_empty() -> None:
    s = cluster_scores({}, {})
    assert s.records == 0 and s.precision == 1.0 and s.recall == 1.0


def test_six_hundred_thousand_records_score_quickly() -> None:
    truth = {i: i // 4 for i in range(600_000)}
    predicted = {i: (i // 4 if i % 10 else None) for i in range(600_000)}
    started = time.perf_counter()
    s = cluster_scores(predicted, truth)
    assert time.perf_counter() - started < 5.0
    assert s.precision == 1.0 and 0.0 < s.recall < 1.0


partitions = st.dictionaries(st.integers(0, 40), st.one_of(st.none(), st.integers(0, 6)),
                             max_size=40)


@given(partitions, partitions)
def test_scores_are_between_zero_and_one(predicted: dict[int, int | None],
                                         truth: dict[int, int | None]) -> None:
    s = cluster_scores(predicted, truth)
    for value in (s.precision, s.recall, s.f1, s.bcubed_precision, s.bcubed_recall, s.bcubed_f1):
        assert 0.0 <= value <= 1.0 + 1e-12
    assert s.pairs_correct <= min(s.pairs_predicted, s.pairs_true)


@given(partitions)
def test_identical_partitions_score_one(truth: dict[int, int | None]) -> None:
    s = cluster_scores(truth, truth)
    assert s.precision == s.recall == 1.0
    assert s.bcubed_precision == pytest.approx(1.0) and s.bcubed_recall == pytest.approx(1.0)


@given(partitions, partitions, st.permutations(range(7)))
def test_relabeling_changes_nothing(predicted: dict[int, int | None], truth: dict[int, int | None],
                                    perm: list[int]) -> None:
    relabeled = {k: (None if v is None else f"p{perm[v]}") for k, v in predicted.items()}
    retruth = {k: (None if v is None else ("t", perm[v])) for k, v in truth.items()}
    a, b = cluster_scores(predicted, truth), cluster_scores(relabeled, retruth)
    assert (a.records, a.pairs_true, a.pairs_predicted, a.pairs_correct) == (
        b.records, b.pairs_true, b.pairs_predicted, b.pairs_correct)
    assert b.bcubed_precision == pytest.approx(a.bcubed_precision)
    assert b.bcubed_recall == pytest.approx(a.bcubed_recall)
