"""Keep TensorFlow's start-up log lines out of the lessons' first cell.

``import aecourse`` calls :func:`install`, which must happen before TensorFlow
is imported (the lessons' setup cells import ``aecourse`` first). Then:

* ``TF_CPP_MIN_LOG_LEVEL`` defaults to 2, for TensorFlow's C++ notes after start-up;
* while ``tensorflow`` itself is first imported, the process's stderr is held
  back, and what TensorFlow printed there goes through again except its
  informational lines (``I0000 ... oneDNN custom operations are on``, "Could not
  find cuda drivers", the CPU-instructions note and absl's "All log messages
  before absl::InitializeLog()" banner), and the "failed call to cuInit" error
  of a machine without a GPU (TensorFlow's device search is made to happen then). TensorFlow 2.21 prints those before it
  reads ``TF_CPP_MIN_LOG_LEVEL``, so no setting hides them. Warnings and errors
  still show;
* afterwards the ``tensorflow`` and ``absl`` Python loggers report errors only.

Nothing is imported here until TensorFlow is, so importing ``aecourse`` stays cheap.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import re
import sys
import tempfile

# A line of TensorFlow's start-up chatter: absl's banner, an informational (I) log line and its continuation.
CHATTER = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                     r"|I\d{4} [\d:.]+ +\d+ \S+:\d+\] .*"
                     r"|E\d{4} [\d:.]+ +\d+ cuda_platform\.cc:\d+\] failed call to cuInit: .*"
                     r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)$")


def informational_only(text: str) -> str:
    """``text`` without TensorFlow's start-up chatter."""
    return "".join(line for line in text.splitlines(keepends=True) if not CHATTER.match(line.rstrip("\n")))


def after_import() -> None:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # e.g. retracing notes for many small predict calls
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real stderr to hold back
            self.loader.exec_module(module)
            return
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                self.loader.exec_module(module)
                # TensorFlow looks for a GPU at the first model, not at import, and says "failed call
                # to cuInit" on a machine without one: look now, while its stderr is held back.
                module.config.list_physical_devices()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                held.seek(0)
                rest = informational_only(held.read().decode("utf-8", "replace"))
                if rest:
                    os.write(2, rest.encode("utf-8"))
        after_import()

    def __getattr__(self, name):  # resources, get_code, ...: the real loader's
        return getattr(self.loader, name)


class _QuietFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once only, and let the normal finders locate it
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        after_import()
    elif not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
