"""The Colab path: where the course is published, and the cell that sets a Colab machine up.

``make lessons`` (:mod:`autograder.assign`) puts :func:`colab_cell` right under each
lesson's title. On Google Colab (``google.colab`` is imported in every Colab kernel)
the cell pip-installs the course from :data:`REPOSITORY` (the ``aecourse`` library and
the public checks, the two packages ``pyproject.toml`` ships; Colab already has
TensorFlow, Keras, numpy, matplotlib, scikit-learn, requests and tqdm) and fetches the
lesson's data with :func:`aecourse.download.fetch`: from the official URL (or
``AECOURSE_MIRROR``), verified whole and cached. Anywhere else it does nothing, so
running it in ``make lab`` or under nbval is harmless. Running it twice on Colab
installs once. ``tests/test_colab_path.py`` runs it in a fresh virtual environment.

The README's "Open in Colab" links come from :func:`colab_url`.
"""

from __future__ import annotations

from autograder.quick_nbformat import nbformat

# owner/name of the course's public GitHub repository. A placeholder until the course is
# published: set it here, run `make lessons`, and update the README's links (a test says which).
REPOSITORY = "your-org/aecourse"
BRANCH = "main"
TAG = "colab"  # the cell's metadata tag, so that tools can tell it from the lesson's own cells


def install_url(repository: str = REPOSITORY) -> str:
    """What pip installs on Colab: the course's repository as a PEP 508 direct reference."""
    return f"aecourse @ git+https://github.com/{repository}"


def colab_url(lesson_file: str, repository: str = REPOSITORY) -> str:
    """The "Open in Colab" address of ``lessons/<lesson_file>``."""
    return f"https://colab.research.google.com/github/{repository}/blob/{BRANCH}/lessons/{lesson_file}"


def data_names(master: nbformat.NotebookNode) -> list[str]:
    """The data files a lesson loads (names for :func:`aecourse.download.fetch`), from its code."""
    code = "\n".join(c.source for c in master.cells if c.cell_type == "code")
    return [name for loader, name in (("load_cats(", "quickdraw/cat.bin"), ("load_mnist(", "mnist"))
            if loader in code]


def colab_source(data: list[str], repository: str = REPOSITORY) -> str:
    fetches = "".join(f"    print(\"data:\", fetch(\"{name}\"))\n" for name in data)
    return (
        "# On Google Colab, run this cell first: it installs the course (its `aecourse` library and the\n"
        "# public checks) and downloads this lesson's data, checked and cached. Anywhere else it does\n"
        "# nothing: `make lab` or conda have set the course up already.\n"
        "import sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:\n"
        "    import importlib\n"
        "    import importlib.util\n"
        "    import subprocess\n"
        "\n"
        f"    COURSE = \"{install_url(repository)}\"  # the course's repository\n"
        "    if importlib.util.find_spec(\"aecourse\") is None:\n"
        "        subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\", COURSE], check=True)\n"
        "        importlib.invalidate_caches()\n"
        "    from aecourse.download import fetch\n"
        "\n"
        + fetches).rstrip("\n")


def colab_cell(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The first code cell of the student's lesson made from ``master``."""
    cell = nbformat.v4.new_code_cell(colab_source(data_names(master)))
    cell.metadata["tags"] = [TAG]
    cell["id"] = "colab-setup"  # fixed, so that `make lessons` writes the same file every time
    return cell


def is_colab_cell(cell) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])
