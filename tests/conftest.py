"""Shared fixtures of the project's test suite.

Real-data tests take the ``real_data`` fixture: ``real_data("mnist")`` returns
the path of a verified data file (from ``AECOURSE_DATA_DIR``, the download
cache, or a fresh download). Without the data they are skipped, with a reason
that says how to get it; under ``CI_REQUIRE_DATA=1`` (set by ``.ci/run``) they
fail instead, so CI cannot pass by silently skipping them.

Download tests take ``http_mirror``: a real HTTP server on 127.0.0.1 laid out
like the official URLs (tests/local_mirror.py), stopped when the test ends.
``full_cat_records`` are the 123,202 drawings of a synthetic cat.bin as large as
Google's in drawings, made once per session.

Grader tests that take ``place`` run once in each place the grader runs
(tests/places.py: bubblewrap as root, root with namespaces denied, an
unprivileged account); a place this machine cannot give fails under CI.
"""

from __future__ import annotations

import os
import signal

import pytest

import places

HOW_TO_GET_DATA = (
    "set AECOURSE_DATA_DIR to a folder holding the data files (e.g. `make test DATA=/path`), "
    "or run with internet access so the course can download them")


def _require_data() -> bool:
    return os.environ.get("CI_REQUIRE_DATA", "").strip() not in ("", "0")


def pytest_collection_modifyitems(items):
    # Tests that need real data carry the `realdata` marker automatically, so
    # `pytest -m "not realdata"` runs the self-contained part of the suite.
    for item in items:
        if "real_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture
def real_data():
    """A function ``name -> Path`` that finds a real data file or skips (fails in CI)."""
    from aecourse.download import DataCheckError, fetch

    def need(name: str):
        try:
            return fetch(name, progressbar=False)
        except DataCheckError:
            raise  # the data is there but wrong: that is a failure, never a skip
        except Exception as err:  # missing locally, no network
            reason = f"real data {name!r} unavailable ({type(err).__name__}: {err}); {HOW_TO_GET_DATA}"
            if _require_data():
                pytest.fail(f"CI_REQUIRE_DATA=1 but {reason}", pytrace=False)
            pytest.skip(reason)

    return need


@pytest.fixture
def http_mirror(monkeypatch):
    """A LocalMirror (real HTTP server on 127.0.0.1, free port), stopped after the test."""
    from local_mirror import LocalMirror

    # A machine behind a proxy must still reach its own loopback directly (kernels inherit this).
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, ",".join(filter(None, [os.environ.get(name, ""), "127.0.0.1"])))
    mirror = LocalMirror()
    yield mirror
    mirror.stop()


@pytest.fixture(scope="session")
def full_cat_records():
    """123,202 hand-encoded drawings; the first ones vary in country and recognition."""
    from local_mirror import REAL_CAT_COUNT, random_records

    return random_records(REAL_CAT_COUNT, seed=12, countries=("FR", "BR", "JP", "US", "NL"),
                          recognized=(1, 1, 0))


def pytest_sessionfinish(session, exitstatus):
    """Record pytest's own verdict, and keep a late SIGINT from replacing it.

    On 2026-12-01 four fresh-clone runs of .ci/run ended "683 passed" and the
    process then exited 130 while shutting down, even with SIGINT ignored from
    here on; the cause is not found yet (every test file alone exits 0). .ci/run
    reads the status written here (PYTEST_STATUS_FILE) so that such a shutdown
    does not hide a green run, and a failed test still fails CI. Since the tests
    run in pytest-xdist workers (2026-12-02) a fresh-clone run has exited 0 by
    itself; the record stays, as the cause was never found.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path = os.environ.get("PYTEST_STATUS_FILE")
    if path and not hasattr(session.config, "workerinput"):  # an xdist worker's status is only its share
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"{int(exitstatus)}\n")


@pytest.fixture(scope="module", params=places.PLACES)
def place(request):
    why = places.available(request.param)
    if why:
        if os.environ.get("CI") or _require_data():
            pytest.fail(f"cannot try the place {request.param!r} here: {why}")
        pytest.skip(why)
    return request.param

