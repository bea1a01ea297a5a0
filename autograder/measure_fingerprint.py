"""A hash of exactly what a lesson's calibrated pass marks depend on, so that only a change there asks for a recalibration.

A hidden-test module with ``MEASURES`` trains something and measures it; its pass marks
(``autograder/thresholds.json``) were measured for one budget and one reference. What those
numbers depend on, and so what :func:`digest` hashes:

* the calibration declarations (``MEASURES``, ``DIRECTIONS``, ``MARGINS``, ``BASELINES``,
  ``REQUIRED``);
* every module-level definition the measure functions reach, transitively: helpers,
  constants (the budget), imports; names imported from another module of the hidden-test
  folder (the shared plumbing) are followed into it;
* the probes the measures call by name (``student.probe("train_x", ...)``), with what they
  reach in ``autograder/contestant/probes.py``: that code trains in the contestant;
* the master's exercise cells the measures run: the measured exercises, the cells defining
  a name the measures or their probes read on ``student`` / ``reference``, and, transitively,
  the cells defining a name those cells use.

Definitions are hashed as syntax trees (``ast.dump``), so comments and layout do not count.
Everything else is left out on purpose: the other tests of the module (a new closed-form
test must not cost a five-seed recalibration), exercises nothing measured runs, setup cells,
and library code (``aecourse``, Keras; a change there, or in another lesson's reference that
a measure builds, is recalibrated by hand).
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

DECLARATIONS = ("MEASURES", "DIRECTIONS", "MARGINS", "BASELINES", "REQUIRED")
NAMESPACES = ("student", "reference")  # how measures and probes reach the exercise cells' names
PROBES = Path(__file__).resolve().parent / "contestant" / "probes.py"
HIDDEN_TESTS_PACKAGE = "autograder.hidden_tests"


class _Module:
    """One parsed source file: its module-level bindings, name -> the statements that bind it."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.bindings: dict[str, list[ast.stmt]] = {}
        for node in self.tree.body:
            for name in _bound_names(node):
                self.bindings.setdefault(name, []).append(node)


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    return []


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _namespace_reads(node: ast.AST) -> set[str]:
    """``student.X`` / ``reference.X``: the exercise names a measure or probe reads."""
    return {n.attr for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in NAMESPACES}


def _probes_called(node: ast.AST) -> set[str]:
    """Probe names of ``<anything>.probe("name", ...)`` calls."""
    return {call.args[0].value for call in ast.walk(node)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "probe"
            and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)}


def _measure_names(module: _Module) -> tuple[list[str], list[str]]:
    """(measured exercises, names of their measure functions) from ``MEASURES = {...}``."""
    for node in module.bindings.get("MEASURES", []):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            exercises = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
            return exercises, sorted(_used_names(node.value))
    return [], []


class _Reach:
    """The definitions reached from some roots, across the hidden-test folder and the probes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.modules: dict[Path, _Module] = {}
        self.reached: dict[tuple[str, int, int, str], str] = {}  # (file, line, column, name) -> what is hashed
        self.namespace_reads: set[str] = set()
        self.probes: set[str] = set()

    def module(self, path: Path) -> _Module:
        if path not in self.modules:
            self.modules[path] = _Module(path)
        return self.modules[path]

    def follow(self, path: Path, names: set[str]) -> None:
        pending = [(path, name) for name in names]
        while pending:
            path, name = pending.pop()
            for node in self.module(path).bindings.get(name, []):
                key = (path.name, node.lineno, node.col_offset, name)
                if key in self.reached:
                    continue
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    # Only the name used: importing one more helper for another test changes nothing measured.
                    self.reached[key] = ast.dump(_only_alias(node, name))
                    pending.extend(self._imported_from_the_folder(node, name))
                    continue
                self.reached[key] = ast.dump(node)
                self.namespace_reads |= _namespace_reads(node)
                for probe in _probes_called(node) - self.probes:
                    self.probes.add(probe)
                    pending.append((PROBES, probe))
                pending.extend((path, used) for used in _used_names(node))

    def _imported_from_the_folder(self, node: ast.Import | ast.ImportFrom, name: str) -> list[tuple[Path, str]]:
        """``from autograder.hidden_tests.shared import x`` (or ``from .shared import x``): follow x there."""
        if not isinstance(node, ast.ImportFrom) or not node.module:
            return []
        if node.level == 0 and not node.module.startswith(HIDDEN_TESTS_PACKAGE + "."):
            return []
        source = self.folder / f"{node.module.rsplit('.', 1)[-1]}.py"
        imported = [alias.name for alias in node.names if (alias.asname or alias.name) == name]
        return [(source, original) for original in imported] if source.is_file() else []

    def texts(self) -> list[str]:
        return [f"{key[0]}:{text}" for key, text in sorted(self.reached.items())]


def _only_alias(node: ast.Import | ast.ImportFrom, name: str) -> ast.AST:
    aliases = [a for a in node.names if (a.asname or a.name).split(".")[0] == name]
    if isinstance(node, ast.Import):
        return ast.Import(names=aliases)
    return ast.ImportFrom(module=node.module, names=aliases, level=node.level)


def _cell_names(source: str) -> tuple[set[str], set[str], ast.AST | None]:
    """(names a cell defines, names it uses, its tree); a cell that does not parse defines and uses nothing."""
    from autograder.notebooks import without_magics

    try:
        tree = ast.parse(without_magics(source))
    except SyntaxError:
        return set(), set(), None
    defined = {name for node in tree.body for name in _bound_names(node)}
    return defined, _used_names(tree), tree


def measured_cells(cells: dict[str, str], exercises: list[str], reads: set[str]) -> list[str]:
    """The exercises (in notebook order) whose cells the measures run: see the module's docstring."""
    parsed = {name: _cell_names(source) for name, source in cells.items()}
    wanted = {e for e in exercises if e in cells}
    wanted |= {name for name, (defined, _, _) in parsed.items() if defined & reads}
    frontier = list(wanted)
    while frontier:
        _, used, _ = parsed[frontier.pop()]
        for name, (defined, _, _) in parsed.items():
            if name not in wanted and defined & used:
                wanted.add(name)
                frontier.append(name)
    return [name for name in cells if name in wanted]


def digest(module_path: Path, cells: dict[str, str]) -> str:
    """The fingerprint of a hidden-test module with MEASURES, given the master's exercise cells (name -> source)."""
    reach = _Reach(module_path.parent)
    exercises, measures = _measure_names(reach.module(module_path))
    reach.follow(module_path, set(measures) | set(DECLARATIONS))
    hashed = hashlib.sha256()
    for text in reach.texts():
        hashed.update(text.encode("utf-8"))
    for name in measured_cells(cells, exercises, reach.namespace_reads):
        tree = _cell_names(cells[name])[2]
        hashed.update(f"cell {name}:".encode("utf-8"))
        hashed.update((ast.dump(tree) if tree is not None else cells[name]).encode("utf-8"))
    return hashed.hexdigest()[:16]
