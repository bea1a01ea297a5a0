"""The class similarity report: pairs found on a simulated class where who copied whom is known.

The thresholds of :mod:`autograder.class_similarity` were chosen on the simulated
classes of seeds 0-2 (``python -m benchmarks.similarity``); here they are held to the
issue's bar on seeds 3-5, which played no part in choosing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from planted import planted_bugs  # noqa: E402
from simulated_class import copied, simulated_class  # noqa: E402

from autograder.class_similarity import class_pairs, pairs_of_exercise  # noqa: E402
from autograder.similarity_page import page, shared_cells  # noqa: E402


def _found(pairs):
    return {(p.lesson, p.exercise, *sorted((p.first, p.second))) for p in pairs}


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_precision_and_recall_on_a_held_out_simulated_class(seed):
    simulated = simulated_class(seed=seed)
    found = _found(class_pairs(simulated.cells, simulated.shared_by_all))
    true_positives = len(found & simulated.true_pairs)
    assert len(simulated.true_pairs) > 100  # a class with something to find
    precision, recall = true_positives / max(1, len(found)), true_positives / len(simulated.true_pairs)
    assert precision >= 0.9 and recall >= 0.9, f"precision {precision:.3f}, recall {recall:.3f}"


def _bug(lesson, exercise, index=0):
    return next(source for l, e, i, _, source in planted_bugs() if (l, e, i) == (lesson, exercise, index))


def test_a_renamed_reordered_copy_is_a_pair_and_the_reference_twice_is_not():
    import random

    key = ("04_vae", "kl_divergence")
    starting, master = shared_cells()[key]
    mine = _bug(*key)
    cells = {"ana": mine, "ben": copied(mine, {"kl_divergence"}, random.Random(1)),
             "cy": master, "dee": master, "eve": starting}
    pairs = pairs_of_exercise(*key, cells, [starting, master])
    assert [(p.first, p.second) for p in pairs] == [("ana", "ben")]


def test_two_different_mistakes_are_not_a_pair():
    key = ("04_vae", "kl_divergence")
    cells = {"ana": _bug(*key, 0), "ben": _bug(*key, 1)}
    assert pairs_of_exercise(*key, cells, shared_cells()[key]) == []


def test_the_page_shows_both_cells_escaped():
    key = ("04_vae", "kl_divergence")
    mine = _bug(*key) + "# <script>alert(1)</script>\n"
    cells = {"ana": {key: mine}, "b<en>": {key: mine}}
    pairs = class_pairs(cells, shared_cells())
    html = page(pairs, cells, 2)
    assert len(pairs) == 1 and "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<pre>") == 2 and "b&lt;en&gt;" in html
