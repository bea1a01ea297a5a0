"""nbformat, imported in a fraction of a second: ``from autograder.quick_nbformat import nbformat``.

nbformat imports jsonschema, which builds 39 Earley parsers for IRI syntax at import when
rfc3987-syntax is installed (Jupyter pulls it in): seconds of every grader and test start, for
a format no notebook schema checks. Without that module jsonschema skips that one format checker;
every other check of a notebook's schema is unchanged.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402

__all__ = ["nbformat"]
