"""Precision and recall of the class similarity report on simulated classes (``tests/simulated_class.py``).

    python -m benchmarks.similarity [--seeds 0 1 2 3 4 5]

For each seed: a class of 24 students answering with planted bugs or the master's cell,
6 of them copied (renamed, reordered, reformatted). Compared: the report
(:mod:`autograder.class_similarity`: copydetect's winnowing over cells normalised with
``ast``/``tokenize``, the starting and master cells as boilerplate) and, as the
baseline, the course's own Greedy String Tiling (:mod:`autograder.similarity`) over
whole normalised cells at 0.9, pairs of two reference cells left out. Seeds 0-2 chose
the report's thresholds; 3-5 are held out. Prints a markdown table to paste into
``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from simulated_class import simulated_class  # noqa: E402

from autograder.class_similarity import class_pairs  # noqa: E402
from autograder.similarity import normalise, similarity  # noqa: E402


def _tiling_pairs(simulated) -> set:
    found = set()
    for key in sorted({k for cells in simulated.cells.values() for k in cells}):
        master = normalise(simulated.shared_by_all[key][1])
        normal = {s: normalise(cells[key]) for s, cells in simulated.cells.items()}
        for a, b in combinations(sorted(normal), 2):
            if normal[a].tokens == master.tokens and normal[b].tokens == master.tokens:
                continue
            if similarity(normal[a], normal[b]) >= 0.9:
                found.add((*key, a, b))
    return found


def _scores(found: set, truth: set) -> tuple[float, float, int]:
    hits = len(found & truth)
    return hits / max(1, len(found)), hits / len(truth), len(found - truth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(6)))
    args = parser.parse_args(argv)
    print(f"Similarity report on simulated classes, {date.today().isoformat()}\n")
    print("| seed | students | true pairs | report: precision | recall | false pairs | seconds "
          "| whole-cell tiling ≥ 0.9: precision | recall |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed in args.seeds:
        simulated = simulated_class(seed=seed)
        started = time.process_time()
        found = {(p.lesson, p.exercise, *sorted((p.first, p.second)))
                 for p in class_pairs(simulated.cells, simulated.shared_by_all)}
        seconds = time.process_time() - started
        precision, recall, false = _scores(found, simulated.true_pairs)
        tiling_precision, tiling_recall, _ = _scores(_tiling_pairs(simulated), simulated.true_pairs)
        print(f"| {seed}{' (held out)' if seed >= 3 else ''} | {len(simulated.cells)} | {len(simulated.true_pairs)} "
              f"| {precision:.3f} | {recall:.3f} | {false} | {seconds:.1f} | {tiling_precision:.3f} "
              f"| {tiling_recall:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
