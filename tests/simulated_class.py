"""A simulated class for measuring the similarity report: who copied whom is known.

Students ``s00, s01, ...`` answer each exercise with one of its planted bugs
(``tests/planted_bugs``) or with the master's own cell, drawn at random: different bugs
are the hardest negatives there are, since each is a small edit of the same master cell. Some students are copied: ``sNN-copy`` holds, for every exercise, the cell
of ``sNN`` renamed (every name the cell binds, the exercise's own name excepted),
reordered (top-level definitions, and adjacent statements that do not depend on each
other) and reformatted (comments and layout dropped, literals respelt). A pair is a
*true* pair when both cells come from the same planted bug (a copy counts as its
original's), whatever the renaming: the same answer, which the report must show. Two
students who both hand in the master's cell are not a pair (they match the reference).
"""

from __future__ import annotations

import ast
import random
from itertools import combinations
from dataclasses import dataclass

from planted import planted_bugs, without_markers

from autograder.notebooks import REPO, exercise_cells, lessons, read_notebook
from autograder.similarity import normalise


@dataclass
class SimulatedClass:
    cells: dict[str, dict[tuple[str, str], str]]           # student -> (lesson, exercise) -> source
    shared_by_all: dict[tuple[str, str], list[str]]        # (lesson, exercise) -> starting cell, master cell
    true_pairs: set[tuple[str, str, str, str]]             # (lesson, exercise, first, second), first < second


def _names_bound(tree: ast.AST) -> set[str]:
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return bound


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node

    def visit_keyword(self, node):  # f(x=1) names a parameter of f: a copier leaves it
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        node.name = self.names.get(node.name, node.name)
        return self.generic_visit(node)

    visit_ClassDef = visit_FunctionDef

    def visit_Constant(self, node):  # the same value, spelt differently
        if isinstance(node.value, float) and node.value != 0:
            return ast.copy_location(ast.Constant(float(repr(node.value * 1.0))), node)
        return node


def _reads_writes(statement: ast.stmt) -> tuple[set[str], set[str]]:
    reads, writes = set(), set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            (writes if isinstance(node.ctx, ast.Store) else reads).add(node.id)
    return reads, writes


def _swap_independent(body: list[ast.stmt], rng: random.Random) -> None:
    """Swap one pair of adjacent statements that neither read nor write what the other writes."""
    candidates = []
    for i in range(len(body) - 1):
        a, b = body[i], body[i + 1]
        if any(isinstance(s, (ast.Return, ast.Expr, ast.Raise)) for s in (a, b)):
            continue
        (ra, wa), (rb, wb) = _reads_writes(a), _reads_writes(b)
        if not (wa & (rb | wb)) and not (wb & ra):
            candidates.append(i)
    if candidates:
        i = rng.choice(candidates)
        body[i], body[i + 1] = body[i + 1], body[i]


def copied(source: str, exercise_names: set[str], rng: random.Random) -> str:
    """``source`` as a copier hands it in: renamed, reordered, reformatted."""
    tree = ast.parse(source)
    keep = exercise_names | {"self", "cls"}
    names = {name: f"{name}_v{rng.randint(2, 9)}" if len(name) > 3 else f"q{name}x"
             for name in sorted(_names_bound(tree)) if name not in keep and not name.isupper()}
    tree = _Rename(names).visit(tree)
    definitions = [i for i, s in enumerate(tree.body) if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    if len(definitions) > 1:  # the order of definitions in a cell does not matter
        moved = [tree.body[i] for i in definitions]
        rng.shuffle(moved)
        for i, statement in zip(definitions, moved):
            tree.body[i] = statement
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.For, ast.While, ast.If, ast.With)):
            _swap_independent(node.body, rng)
    return "# my own work\n" + ast.unparse(ast.fix_missing_locations(tree)).replace("    ", "  ") + "\n"


def simulated_class(students: int = 24, copies: int = 6, seed: int = 0) -> SimulatedClass:
    """``students`` answering each exercise with a planted bug or the master's cell, ``copies`` of them copied."""
    rng = random.Random(seed)
    masters, starting = {}, {}
    for lesson in lessons():
        for exercise, source in exercise_cells(read_notebook(lesson.master)).items():
            masters[(lesson.name, exercise)] = without_markers(source)
        for exercise, source in exercise_cells(read_notebook(REPO / "lessons" / f"{lesson.name}.ipynb")).items():
            starting[(lesson.name, exercise)] = source
    answers: dict[tuple[str, str], list[str]] = {key: [source] for key, source in masters.items()}
    for lesson, exercise, _, _, source in planted_bugs():
        answers[(lesson, exercise)].append(source)   # origin 0 is the master, 1.. the bugs
    # A bug that normalising makes the master's cell again (x and y swapped: both become ID)
    # cannot be told from the master by any report that ignores names: it counts as the master.
    as_master = {(key, i) for key, sources in answers.items() for i, source in enumerate(sources)
                 if normalise(source).tokens == normalise(sources[0]).tokens}
    names = [f"s{i:02d}" for i in range(students)]
    origin = {(s, key): rng.randrange(len(answers[key])) for s in names for key in masters}
    cells = {s: {key: answers[key][origin[(s, key)]] for key in masters} for s in names}
    exercise_names = {exercise for _, exercise in masters}
    for student in rng.sample(names, copies):
        copy = f"{student}-copy"
        cells[copy] = {key: source if source == masters[key] else copied(source, exercise_names, rng)
                       for key, source in cells[student].items()}
        for key in masters:
            origin[(copy, key)] = origin[(student, key)]
    tokens = {(s, key): normalise(cells[s][key]).tokens for s in cells for key in masters}
    master_tokens = {key: normalise(source).tokens for key, source in masters.items()}
    true_pairs = {(*key, a, b) for key in masters for a, b in combinations(sorted(cells), 2)
                  if tokens[(a, key)] != master_tokens[key]
                  and ((origin[(a, key)] == origin[(b, key)] and (key, origin[(a, key)]) not in as_master)
                       or tokens[(a, key)] == tokens[(b, key)])}
    shared = {key: [starting.get(key, ""), masters[key]] for key in masters}
    return SimulatedClass(cells, shared, true_pairs)
