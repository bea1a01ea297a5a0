"""Pairs of students whose answers to one exercise are the same or nearly the same.

For the instructor's class report, as information, never a penalty. Each graded cell
is normalised with Python's own parser and tokenizer (:func:`autograder.similarity.normalise`:
names the cell binds, comments, docstrings, layout and literals stop mattering), and the
normalised tokens are fingerprinted by winnowing k-grams with ``copydetect`` (the method
of MOSS, Schleimer, Wilkerson and Aiken 2003).

What every student may share is removed first, as copydetect's *boilerplate*: the
fingerprints of the exercise's starting cell (the student's lesson) and of the master
solution. Short exercises have one idiomatic answer, so two strong students who both
wrote the master's code match each other entirely; they are reported as matching the
reference (:mod:`autograder.library_copies`), not as a pair. What is left of a cell is
what its author did differently from the reference, and two students who share most of
*that* are a pair.

``MIN_SHARED_TOKENS`` and ``MIN_SHARE`` were measured on a simulated class (the planted
bugs dealt to students, plus renamed, reordered and reformatted copies of some of them;
``python -m benchmarks.similarity``, figures in ``benchmarks/results.md``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import combinations

from autograder.similarity import Normalised, normalise

K = 6                    # tokens per fingerprinted k-gram: a statement like `ID = ops . mean (` is about 6
WINDOW = 1               # winnowing window: cells are short, so every k-gram is kept
MIN_SHARED_TOKENS = 6    # fewer tokens in common beyond the boilerplate say nothing
MIN_SHARE = 0.5          # of the larger cell's own (non-boilerplate) tokens: half of what either did its own way
MAX_CELL_CHARS = 200_000


@dataclass(frozen=True)
class Pair:
    """Two students' cells of one exercise that share what neither took from the reference."""

    lesson: str
    exercise: str
    first: str
    second: str
    share: float           # 0 to 1: the shared tokens over the larger cell's own tokens
    shared_tokens: int


class _Alphabet:
    """One character per distinct token, so copydetect's character k-grams are token k-grams."""

    def __init__(self):
        self._codes: dict[str, str] = {}

    def spell(self, normalised: Normalised) -> str:
        # Private-use code points from U+E000 (6,400 of them), then beyond: never a real token's character.
        return "".join(self._codes.setdefault(t, chr(0xE000 + len(self._codes))) for t in normalised.tokens)


def _fingerprint(text: str, name: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(name, K, WINDOW, boilerplate=boilerplate, filter=False, fp=io.StringIO(text))


def pairs_of_exercise(lesson: str, exercise: str, cells: dict[str, str], shared_by_all: list[str]) -> list[Pair]:
    """The pairs among ``cells`` (student -> source) once ``shared_by_all`` (starting cell, master) is removed."""
    import numpy as np
    from copydetect import compare_files

    alphabet = _Alphabet()
    boilerplate = set()
    for source in shared_by_all:
        text = alphabet.spell(normalise(source[:MAX_CELL_CHARS]))
        if len(text) >= K:
            boilerplate |= _fingerprint(text, "boilerplate").hashes
    boilerplate = np.array(sorted(boilerplate))
    prints = {}
    for student, source in cells.items():
        text = alphabet.spell(normalise(source[:MAX_CELL_CHARS]))
        if len(text) >= K:
            printed = _fingerprint(text, student, boilerplate)
            if printed.token_coverage >= MIN_SHARED_TOKENS:
                prints[student] = printed
    found = []
    for first, second in combinations(sorted(prints), 2):
        a, b = prints[first], prints[second]
        shared, _, _ = compare_files(a, b)
        shared = int(shared)
        # Over the larger: two different mistakes that share one edit (a line moved in both)
        # share all of the smaller's own tokens, but not half of the larger's.
        larger = max(a.token_coverage, b.token_coverage)
        share = shared / larger if larger else 0.0
        if shared >= MIN_SHARED_TOKENS and share >= MIN_SHARE:
            found.append(Pair(lesson, exercise, first, second, float(min(share, 1.0)), shared))
    return found


def class_pairs(cells: dict[str, dict[tuple[str, str], str]],
                shared_by_all: dict[tuple[str, str], list[str]]) -> list[Pair]:
    """Every exercise's pairs: ``cells[student][(lesson, exercise)]`` is a graded cell's source."""
    exercises = sorted({key for by_exercise in cells.values() for key in by_exercise})
    found = []
    for lesson, exercise in exercises:
        of_exercise = {student: by_exercise[(lesson, exercise)] for student, by_exercise in cells.items()
                       if (lesson, exercise) in by_exercise}
        found += pairs_of_exercise(lesson, exercise, of_exercise, shared_by_all.get((lesson, exercise), []))
    return sorted(found, key=lambda p: (-p.share, p.lesson, p.exercise, p.first, p.second))
