# The fixtures every hidden test may ask for.
from autograder.testing import reference, student  # noqa: F401
