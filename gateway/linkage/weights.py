"""Match weights learned from the data: Fellegi–Sunter with expectation–maximisation.

Every candidate pair (a record and a household its blocks found) is a vector of comparison
levels: `name` agrees exactly / is similar / disagrees, `addressRoom` agrees / disagrees, and so
on. Each level has a probability m under "same household" and u under "different household";
its weight is ln(m/u). EM estimates m and the share of true pairs λ from the candidate pairs
themselves, with no labels: the E-step gives each pair its posterior of being a match from the
current weights, the M-step recounts every level weighted by those posteriors. It starts from
the hand-set weights of `match.py` (a level is named by its comparison and its hand weight), and
a level EM could not estimate keeps its hand weight.

Comparisons are assumed independent given the match status, as in Splink, which also takes u
from random pairs and m from EM over blocked pairs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Level = tuple[str, float]  # (comparison, hand weight): one level of one comparison
Pair = Sequence[Level]

# Levels of one comparison share a denominator (a pair has at most one level of each).
GROUP = {"phonePartial": "phone"}
# Compared only once the room agrees: random pairs almost never reach them.
NESTED = frozenset({"addressEntrance", "addressCompound"})
MAX_WEIGHT = 14.0
SAMPLE_RECORDS = 60_000


@dataclass(slots=True)
class Model:
    """Learned weights by level, with what they were learned from."""

    weights: dict[Level, float] = field(default_factory=dict)
    m: dict[Level, float] = field(default_factory=dict)
    u: dict[Level, float] = field(default_factory=dict)
    share: float = 0.0  # λ: estimated share of candidate pairs that are true
    pairs: int = 0
    iterations: int = 0

    def weight(self, level: Level) -> float:
        return self.weights.get(level, level[1])

    def as_json(self) -> dict[str, object]:
        return {
            "share": round(self.share, 5), "pairs": self.pairs, "iterations": self.iterations,
            "levels": [
                {"comparison": name, "hand": hand, "weight": round(w, 3),
                 "m": round(self.m.get((name, hand), 0.0), 5),
                 "u": round(self.u.get((name, hand), 0.0), 5)}
                for (name, hand), w in sorted(self.weights.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Model:
        model = cls(share=float(data.get("share", 0.0)),  # type: ignore[arg-type]
                    pairs=int(data.get("pairs", 0)),  # type: ignore[call-overload]
                    iterations=int(data.get("iterations", 0)))  # type: ignore[call-overload]
        for row in data.get("levels", []):  # type: ignore[attr-defined]
            level = (str(row["comparison"]), float(row["hand"]))
            model.weights[level] = float(row["weight"])
            model.m[level] = float(row["m"])
            model.u[level] = float(row["u"])
        return model


def estimate(
    records: Sequence[Sequence[Pair]], random_pairs: Sequence[Pair], *, accept: float,
    iterations: int = 30, seed: int = 20261129,
) -> Model:
    """Learn weights from the candidate pairs of `records` (one list of pairs per record) and
    from `random_pairs` (records set against households drawn at random, never the household
    the record most likely belongs to).

    EM over the candidate pairs estimates m — how often a level occurs between a record and
    its own household — and the share of true pairs. u — how often a level occurs between a
    record and a household it does not belong to — is then taken from the random pairs, where
    agreement is chance: blocking made candidate pairs agree on a key, so their u would say an
    agreeing room means nothing. Levels compared only once the room agrees (entrance, compound)
    keep the u EM found among candidates, which is exactly their condition. A learned weight
    whose sign contradicts its hand weight (an agreement counting against) is not trusted: the
    level keeps its hand weight. At most `SAMPLE_RECORDS` records are used (a seeded sample).
    """
    if len(records) > SAMPLE_RECORDS:
        records = random.Random(seed).sample(list(records), SAMPLE_RECORDS)
    index: dict[Level, int] = {}
    pair_of: list[int] = []
    level_of: list[int] = []
    hand_score: list[float] = []
    n = 0
    for pairs in records:
        for pair in pairs:
            hand_score.append(sum(h for _, h in pair))
            for level in pair:
                pair_of.append(n)
                level_of.append(index.setdefault(level, len(index)))
            n += 1
    if n < 50 or not index:
        return Model()
    levels = list(index)
    groups = {g: i for i, g in enumerate(sorted({_group(name) for name, _ in levels}))}
    group_of = np.array([groups[_group(name)] for name, _ in levels])
    pair_idx = np.array(pair_of)
    level_idx = np.array(level_of)
    # Start from the hand weights: a pair's prior is how far its hand score clears `accept`.
    p = 1 / (1 + np.exp(-(np.array(hand_score) - accept)))
    m = u = np.ones(len(levels))
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 - `done` is reported
        share = float(np.clip(p.mean(), 1e-4, 1 - 1e-4))
        m = _rates(p, pair_idx, level_idx, group_of, len(levels), len(groups))
        u = _rates(1 - p, pair_idx, level_idx, group_of, len(levels), len(groups))
        log_odds = math.log(share / (1 - share)) + np.bincount(
            pair_idx, weights=np.log(m / u)[level_idx], minlength=n)
        new = 1 / (1 + np.exp(-np.clip(log_odds, -50, 50)))
        if float(np.abs(new - p).max()) < 1e-4:
            p = new
            break
        p = new
    nested = np.array([name in NESTED for name, _ in levels])
    u = np.where(nested, u, _random_rates(random_pairs, index, group_of, len(groups)))
    hand = np.array([h for _, h in levels])
    weights = np.clip(np.log(m / u), -MAX_WEIGHT, MAX_WEIGHT)
    # A level whose learned weight has the wrong sign (rare levels, or ones the blocks bias)
    # keeps its hand weight: EM could not learn it.
    weights = np.where((hand > 0) == (weights > 0), weights, hand)
    return Model(
        weights={lv: float(weights[i]) for lv, i in index.items()},
        m={lv: float(m[i]) for lv, i in index.items()},
        u={lv: float(u[i]) for lv, i in index.items()},
        share=float(p.mean()), pairs=n, iterations=done,
    )


def _group(name: str) -> str:
    return GROUP.get(name, name)


def _random_rates(
    pairs: Sequence[Pair], index: dict[Level, int], group_of: np.ndarray, n_groups: int
) -> np.ndarray:
    """u of every level from random pairs, smoothed by half a pair."""
    counts = np.full(len(index), 0.5)
    for pair in pairs:
        for level in pair:
            i = index.get(level)
            if i is not None:
                counts[i] += 1
    per_group = np.bincount(group_of, weights=counts, minlength=n_groups)
    return np.asarray(counts / per_group[group_of])


def _rates(
    weight: np.ndarray, pair_idx: np.ndarray, level_idx: np.ndarray, group_of: np.ndarray,
    n_levels: int, n_groups: int,
) -> np.ndarray:
    """P(level | class) for every level: weighted count over its comparison's weighted count,
    with half a pair of smoothing so no level is certain."""
    per_pair = weight[pair_idx]
    counts = np.bincount(level_idx, weights=per_pair, minlength=n_levels) + 0.5
    per_group = np.bincount(group_of, weights=counts, minlength=n_groups)
    return np.asarray(counts / per_group[group_of])
