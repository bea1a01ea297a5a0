"""pytest hooks for the masters run under nbval (``make test``: ``--nbval-lax solutions``).

After the cells of each master, one more item, ``solutions/NN_name.ipynb::quoted figures``,
checks that every figure its markdown quotes as printed in the current mode
(``<span class="fast">…</span>``, see :mod:`autograder.quoted_figures`) is among the
text outputs those very cells just printed: no notebook is run twice. It belongs to the
notebook's file, so pytest-xdist's ``--dist loadfile`` runs it on the same worker, last.
Figures quoted as printed in full mode are checked against the stored full-mode record
by ``tests/test_quoted_figures.py``.
"""

from __future__ import annotations

import pytest


class QuotedFigures(pytest.Item):
    """The quoted figures of one master, against the outputs of its cells in this run."""

    def __init__(self, *, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = cells

    def runtest(self):
        from aecourse.config import course_mode
        from autograder.quoted_figures import figures, output_text, report, unmatched

        # Cells tagged nbval-skip never run; any other cell without outputs was stopped on the way.
        not_run = [c.name for c in self.cells if c.test_outputs is None and not c.options.get("skip")]
        if not_run:
            pytest.skip(f"{len(not_run)} cell(s) did not run (e.g. {not_run[0]}): nothing to compare")
        quoted = figures(self.parent.nb)
        mode = course_mode()
        text = "\n".join(output_text(c.test_outputs or []) for c in self.cells)
        missing, skipped = unmatched(quoted, text, mode)
        if missing:
            raise AssertionError(report(self.parent.path.stem, missing, mode, "this run's outputs", text))
        checked = sum(mode in f.modes for f in quoted) - len(skipped)
        if skipped and not checked:
            pytest.skip(f"{len(skipped)} figure(s) quoted from the lab's 2,000-cat sample, which this run "
                        f"did not use")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.parent.path.name}: quoted figures"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval absent or disabled (-p no:nbval): no notebook items
        return
    by_notebook: dict = {}
    for index, item in enumerate(items):
        if isinstance(item, IPyNbCell):
            by_notebook.setdefault(item.parent, []).append(index)
    # Insert from the end so earlier indices stay valid.
    for notebook, indices in sorted(by_notebook.items(), key=lambda kv: kv[1][-1], reverse=True):
        cells = [items[i] for i in indices]
        items.insert(indices[-1] + 1, QuotedFigures.from_parent(notebook, name="quoted figures", cells=cells))
