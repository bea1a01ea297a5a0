"""Code that runs inside the sandbox, beside the student's: the contestant server and its wire format.

This package imports nothing else of the grader's, so that the sandbox can mount
it alone: the hidden tests, thresholds and solutions stay out of the contestant's reach.
"""
