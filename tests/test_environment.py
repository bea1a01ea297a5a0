"""The pip path (requirements.txt) and the conda path (environment.yml) install the same pins."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_requirements_and_environment_yml_pin_the_same_versions():
    pip_pins = pins(REPO / "requirements.txt")
    conda_pins = pins(REPO / "environment.yml")
    assert pip_pins, "requirements.txt has no pins"
    assert pip_pins == conda_pins


@pytest.mark.parametrize("package", ["tensorflow", "numpy", "pillow", "jupyter", "nbval", "pytest"])
def test_the_design_cards_packages_are_pinned(package):
    assert package in pins(REPO / "requirements.txt")


def test_environment_yml_uses_python_311():
    assert re.search(r"^\s*-\s*python=3\.11\s*$", (REPO / "environment.yml").read_text(), re.M)


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for package, pinned in pins(REPO / "requirements.txt").items():
        assert version(package) == pinned, f"{package}: installed {version(package)}, pinned {pinned}"


def test_the_lock_agrees_with_the_pins_and_pins_only_exact_versions():
    lock = pins(REPO / "requirements.lock")
    for package, version in pins(REPO / "requirements.txt").items():
        assert lock.get(package) == version, f"{package}: requirements.txt pins {version}, the lock {lock.get(package)}"
    lines = [l for l in (REPO / "requirements.lock").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert all("==" in l for l in lines), [l for l in lines if "==" not in l]


def test_every_install_path_uses_the_lock():
    assert "-c requirements.lock" in (REPO / "Makefile").read_text()
    assert "- -c requirements.lock" in (REPO / "environment.yml").read_text()
    from autograder.gradescope import SETUP_SH

    assert "-c requirements.lock" in SETUP_SH


def test_the_installed_environment_is_the_lock():
    """The lock is what a build installs: every locked package is installed at its locked version."""
    from importlib.metadata import PackageNotFoundError, version

    for package, locked in pins(REPO / "requirements.lock").items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = None
        assert installed == locked, f"{package}: installed {installed}, locked {locked} (run `make lock` after a change)"
