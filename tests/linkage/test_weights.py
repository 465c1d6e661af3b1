"""EM learns match weights from unlabelled pairs: checked on pairs drawn from known m and u."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage.weights import Model, estimate

# Three comparisons (fewer cannot identify a two-class mixture) with a known truth:
# P(level | match) and P(level | non-match) among candidates and among random pairs.
M = {"name": {3.5: 0.85, -1.5: 0.15}, "phone": {3.5: 0.7, 0.0: 0.3},
     "birthDate": {3.0: 0.6, 0.0: 0.4}}
U_CANDIDATE = {"name": {3.5: 0.05, -1.5: 0.95}, "phone": {3.5: 0.02, 0.0: 0.98},
               "birthDate": {3.0: 0.03, 0.0: 0.97}}
U_RANDOM = {"name": {3.5: 0.001, -1.5: 0.999}, "phone": {3.5: 0.0005, 0.0: 0.9995},
            "birthDate": {3.0: 0.0002, 0.0: 0.9998}}


def _draw(rng: random.Random, table: dict[str, dict[float, float]]) -> list[tuple[str, float]]:
    pair = []
    for name, levels in table.items():
        hands, probs = zip(*levels.items(), strict=True)
        pair.append((name, rng.choices(hands, probs)[0]))
    return pair


def _world(seed: int, records: int = 4000, others: int = 3) -> tuple[list, list]:
    rng = random.Random(seed)
    candidates = [[_draw(rng, M)] + [_draw(rng, U_CANDIDATE) for _ in range(others)]
                  for _ in range(records)]
    random_pairs = [_draw(rng, U_RANDOM) for _ in range(records * 3)]
    return candidates, random_pairs


def test_em_recovers_m_and_the_share_of_true_pairs() -> None:
    candidates, random_pairs = _world(7)
    model = estimate(candidates, random_pairs, accept=4.5)
    assert abs(model.share - 0.25) < 0.03
    for name, levels in M.items():
        for hand, m in levels.items():
            assert abs(model.m[(name, hand)] - m) < 0.05, (name, hand, model.m[(name, hand)])
    # u comes from the random pairs: an agreeing name is rare by chance, so it weighs a lot
    assert abs(model.u[("name", 3.5)] - 0.001) < 0.001
    assert model.weight(("name", 3.5)) > 6
    assert model.weight(("name", -1.5)) < 0


def test_unlearnable_levels_keep_their_hand_weight() -> None:
    model = estimate([[[("name", 3.5)]]], [], accept=4.5)  # far too few pairs
    assert model.weights == {}
    assert model.weight(("name", 3.5)) == 3.5
    assert model.weight(("phone", 0.0)) == 0.0


def test_a_model_survives_its_json_form() -> None:
    candidates, random_pairs = _world(11, records=500)
    model = estimate(candidates, random_pairs, accept=4.5)
    again = Model.from_json(model.as_json())
    assert again.weights.keys() == model.weights.keys()
    for level, w in model.weights.items():
        assert abs(again.weight(level) - w) < 1e-3


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_weights_keep_the_sign_of_their_hand_weight(seed: int) -> None:
    candidates, random_pairs = _world(seed, records=300, others=2)
    model = estimate(candidates, random_pairs, accept=4.5)
    for (name, hand), w in model.weights.items():
        assert (w > 0) == (hand > 0) or w == hand, (name, hand, w)
