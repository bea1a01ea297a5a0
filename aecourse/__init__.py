"""Generating images with autoencoders: the course helper library.

Importing it first, before TensorFlow, keeps TensorFlow's start-up log lines out
of the lessons (:mod:`aecourse.quiet`).
"""

from aecourse import quiet as _quiet

_quiet.install()
