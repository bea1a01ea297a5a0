"""How alike two pieces of Python source are, whatever their names, comments, layout and order.

``normalise(source)`` reduces a source to the tokens of its structure:

* comments, docstrings, type annotations and the layout go (the source is parsed
  with :mod:`ast` and written back with ``ast.unparse``, then cut by :mod:`tokenize`);
* every name the source binds itself (functions, classes, arguments, variables,
  import aliases) becomes ``ID``, so renaming changes nothing; names it only reads
  (``np``, ``struct``, builtins) and attributes (``.floor``) stay, as they say
  what the code does;
* string literals become ``STR`` and numbers ``NUM``.

A source that does not parse (a half-written cell) loses the lines Python
points at, up to ``MAX_DROPPED_LINES``, until the rest parses; failing that it is
cut by :mod:`tokenize` alone with the same rules, every name but attributes
becoming ``ID`` (no binding analysis without a tree).

``similarity(a, b)`` (symmetric) and ``containment(a, b)`` (how much of ``a`` is
found in ``b``) tile the two token lists with the longest common runs, each at
least ``MIN_RUN`` tokens, never reusing a token (Greedy String Tiling, as JPlag
does): moving whole functions or blocks around keeps their runs, so a reordered
copy still scores near 1, and two unrelated sources share no run that long.

Nothing here knows about students, exercises or thresholds: the grader's notes
(:mod:`autograder.library_copies`) and a class-wide comparison of pairs of
students use the same two functions on sources normalised once each.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
import warnings
from collections import defaultdict
from dataclasses import dataclass

MIN_RUN = 8        # tokens: a shorter common run (`for ID in range(ID):`) says nothing about copying
MAX_DROPPED_LINES = 20
MAX_TOKENS = 20_000   # of one source: the tiling's time grows with the product of two lengths
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_BUILTINS = set(dir(builtins))
_KEYWORDS = set(keyword.kwlist) | set(keyword.softkwlist)


@dataclass(frozen=True)
class Normalised:
    """A source reduced to its structure's tokens (see the module's docstring)."""

    tokens: tuple[str, ...]
    parsed: bool        # False: the source did not parse whole (lines were dropped, or it was only tokenized)

    def __len__(self) -> int:
        return len(self.tokens)


class _Canonical(ast.NodeTransformer):
    """Docstrings and annotations out; bound names to ID; literals to STR and NUM."""

    def __init__(self, bound: set[str]):
        self.bound = bound

    def _without_docstring(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    def visit_Module(self, node):
        return self.generic_visit(self._without_docstring(node))

    def visit_FunctionDef(self, node):
        node = self._without_docstring(node)
        node.returns = None
        node.name = "ID"
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        node = self._without_docstring(node)
        node.name = "ID"
        return self.generic_visit(node)

    def visit_arg(self, node):
        node.arg, node.annotation = "ID", None
        return node

    def visit_AnnAssign(self, node):  # `x: int = 3` reads as `x = 3`
        if node.value is None:
            return None
        return self.visit(ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node))

    def visit_Name(self, node):
        if node.id in self.bound:
            node.id = "ID"
        return node

    def visit_alias(self, node):
        if node.asname:
            node.asname = "ID"
        return node

    def visit_ExceptHandler(self, node):
        if node.name:
            node.name = "ID"
        return self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, (str, bytes)):
            return ast.copy_location(ast.Name("STR", ast.Load()), node)
        if isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool):
            return ast.copy_location(ast.Name("NUM", ast.Load()), node)
        return node

    def visit_JoinedStr(self, node):
        return ast.copy_location(ast.Name("STR", ast.Load()), node)


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the source gives a value itself (so their spelling is the author's choice)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias) and node.asname:
            bound.add(node.asname)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return bound


def _tokens(source: str, every_name_is_an_id: bool) -> tuple[str, ...]:
    out: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if len(out) >= MAX_TOKENS:
                break
            if token.type in _SKIPPED:
                continue
            if token.type == tokenize.NEWLINE:
                out.append(";")
            elif token.type == tokenize.INDENT:
                out.append("{")
            elif token.type == tokenize.DEDENT:
                out.append("}")
            elif token.type == tokenize.STRING:
                out.append("STR")
            elif token.type == tokenize.NUMBER:
                out.append("NUM")
            elif every_name_is_an_id and token.type == tokenize.NAME and token.string not in _KEYWORDS \
                    and token.string not in _BUILTINS and out[-1:] != ["."]:
                out.append("ID")
            else:
                out.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # what was read so far is what there is
    return tuple(out)


def normalise(source: str) -> Normalised:
    """The structure of ``source`` as tokens (see the module's docstring)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]  # IPython magics
    tree, whole = _parse_what_parses(lines)
    if tree is None:
        return Normalised(_tokens("\n".join(lines), every_name_is_an_id=True), parsed=False)
    try:
        canonical = ast.unparse(ast.fix_missing_locations(_Canonical(_bound_names(tree)).visit(tree)))
    except RecursionError:  # absurdly deep nesting: the raw tokens will do
        return Normalised(_tokens("\n".join(lines), every_name_is_an_id=True), parsed=False)
    return Normalised(_tokens(canonical, every_name_is_an_id=False), parsed=whole)


def _parse_what_parses(lines: list[str]) -> tuple[ast.Module | None, bool]:
    """The tree of ``lines``, dropping the lines Python points at until the rest parses; and whether none was."""
    lines = list(lines)
    for dropped in range(MAX_DROPPED_LINES + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # invalid escapes and the like: the student's, not ours to print
                return ast.parse("\n".join(lines)), dropped == 0
        except SyntaxError as error:
            if not error.lineno or not 1 <= error.lineno <= len(lines):
                return None, False
            del lines[error.lineno - 1]
        except (ValueError, RecursionError, MemoryError):  # NUL bytes, absurd nesting
            return None, False
    return None, False


def _as_normalised(value: str | Normalised) -> Normalised:
    return value if isinstance(value, Normalised) else normalise(value)


def covered_tokens(a: str | Normalised, b: str | Normalised, min_run: int = MIN_RUN) -> int:
    """How many tokens of ``a`` (as many of ``b``) the tiling of common runs covers."""
    a, b = _as_normalised(a).tokens, _as_normalised(b).tokens
    if len(a) < min_run or len(b) < min_run:
        return 0
    used_a, used_b = bytearray(len(a)), bytearray(len(b))
    starts = defaultdict(list)  # every run of min_run tokens of b -> where it starts
    for j in range(len(b) - min_run + 1):
        starts[b[j:j + min_run]].append(j)
    covered = 0
    while True:
        longest, found = min_run - 1, []
        for i in range(len(a) - min_run + 1):
            if used_a[i]:
                continue
            for j in starts.get(a[i:i + min_run], ()):
                if used_b[j]:
                    continue
                k = 0
                while i + k < len(a) and j + k < len(b) and not used_a[i + k] and not used_b[j + k] \
                        and a[i + k] == b[j + k]:
                    k += 1
                if k > longest:
                    longest, found = k, [(i, j)]
                elif k == longest:
                    found.append((i, j))
        if not found:
            return covered
        for i, j in found:  # the longest runs first; one that overlaps a run just taken waits for the next round
            if any(used_a[i:i + longest]) or any(used_b[j:j + longest]):
                continue
            used_a[i:i + longest] = b"\1" * longest
            used_b[j:j + longest] = b"\1" * longest
            covered += longest


def similarity(a: str | Normalised, b: str | Normalised) -> float:
    """0 (nothing in common) to 1 (the same structure): the share of both sources' tokens in common runs."""
    a, b = _as_normalised(a), _as_normalised(b)
    total = len(a) + len(b)
    return 2 * covered_tokens(a, b) / total if total else 0.0


def containment(a: str | Normalised, b: str | Normalised) -> float:
    """0 to 1: the share of ``a``'s tokens found in common runs with ``b`` (a copied part of a longer ``b``: 1)."""
    a, b = _as_normalised(a), _as_normalised(b)
    return covered_tokens(a, b) / len(a) if len(a) else 0.0

