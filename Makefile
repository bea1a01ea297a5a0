# One entry point for students, instructors and CI. Every target builds the
# environment first when it is missing (a fresh clone needs nothing else).

PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
READY      := $(VENV)/.ready
SUBMISSION ?= solutions
OUT        ?= grading-output
JOBS       ?=
RESUME     ?=
OVERRIDES  ?=

# Offline labs and CI keep pre-downloaded data in a folder: `make test DATA=/path`.
# In the course's lab layout the folder sits beside the checkout; without one the
# course downloads (and verifies) the official files.
DATA ?= $(firstword $(wildcard ../shared/data))
ifneq ($(strip $(DATA)),)
export AECOURSE_DATA_DIR := $(abspath $(DATA))
endif

.PHONY: help venv lab lock grade test test-fast test-colab lessons bench bench-grading bench-class bench-tests gradescope classifier clean

# What `make test-fast` runs: no training, no nbval, no real-course grading (see the README).
# Longest first: each worker takes the next file as it finishes one, so the long files start
# at once and the short ones fill in (--no-loadscope-reorder keeps this order).
FAST_TESTS := tests/test_check_agrees_with_grader.py tests/test_grader_hostile.py tests/test_grader_sealing.py \
	tests/test_grader_isolation.py \
	tests/test_download.py tests/test_quiet.py tests/test_calibrate.py tests/test_quickdraw.py \
	tests/test_grader_units.py tests/test_public_checks.py tests/test_lessons.py tests/test_assign_safety.py \
	tests/test_exercises.py tests/test_submission_zip.py tests/test_resources.py tests/test_visibility.py \
	tests/test_environment.py tests/test_hostile_names.py tests/test_similarity.py tests/test_class_similarity.py tests/test_html_pages.py \
	tests/test_protocol_limits.py tests/test_hostile_replies.py \
	tests/test_instructor_reports.py tests/test_public_results.py tests/test_hand_in_docs.py tests/test_teaching.py \
	tests/test_shared_verdicts.py tests/test_common_failures.py

help:
	@echo "make lab [COURSE_MODE=fast]            (students) build the environment if missing, open lessons/ in Jupyter Lab"
	@echo "make grade [SUBMISSION=path] [JOBS=n] [OUT=dir] [RESUME=1] [OVERRIDES=file.csv]"
	@echo "                                       grade notebooks, zips or a class folder (default: the reference"
	@echo "                                       solutions) into OUT (grading-output); JOBS judges at once (default"
	@echo "                                       one per core); RESUME=1 keeps students already graded into OUT;"
	@echo "                                       OVERRIDES: the instructor's decisions (student,exercise,points,comment)"
	@echo "make test                              unit tests, grader tests, nbval over the solutions"
	@echo "make test-fast                         the tests that need no training and no nbval"
	@echo "make test-colab                        the Colab path in a fresh Python 3.12 environment (minutes)"
	@echo "make lessons                           regenerate lessons/ from solutions/"
	@echo "make bench                             speed and memory benchmarks: the cat.bin loaders, grading"
	@echo "make bench-grading [BASELINE=rev ...]  grading time of the reference, against earlier commits"
	@echo "make bench-class [STUDENTS=30] [CORES=n]  grading time of a class of copies of the reference"
	@echo "make bench-tests [BASELINE=rev]        make test-fast three times, the median (against rev's)"
	@echo "make gradescope                        build dist/gradescope-autograder.zip"

# requirements.lock pins every transitive dependency (`make lock` regenerates it).
$(READY): requirements.txt requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip -c requirements.lock
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(READY)

# Jupyter Lab from the course's environment, in lessons/ (the kernel is the venv's Python).
lab: $(READY)
	$(if $(COURSE_MODE),COURSE_MODE=$(COURSE_MODE)) $(VENV)/bin/jupyter lab --notebook-dir=lessons \
	    $(if $(filter 0,$(shell id -u)),--allow-root)

lock: $(READY)
	{ sed -n '/^#/p' requirements.lock; $(PY) -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

grade: $(READY)
	COURSE_MODE=fast $(PY) -m autograder grade "$(SUBMISSION)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) \
	    $(if $(RESUME),--resume) $(if $(OVERRIDES),--overrides "$(OVERRIDES)")

# One pytest worker per core (pytest-xdist); a test file stays on one worker, so a
# notebook's cells run in order in one kernel and a module's fixtures are built once.
PARALLEL := -n auto --dist loadfile

test: $(READY)
	COURSE_MODE=fast $(PY) -m pytest tests --nbval-lax solutions -p no:cacheprovider $(PARALLEL)

test-fast: $(READY)
	COURSE_MODE=fast $(PY) -m pytest $(FAST_TESTS) -p no:cacheprovider -p no:nbval $(PARALLEL) --no-loadscope-reorder

# The Colab path (tests/test_colab_path.py): lesson 1's first cell in a fresh virtual environment
# of Colab's Python with TensorFlow from the registry. Minutes, so not in `make test`; .ci/run runs it.
test-colab: $(READY)
	AECOURSE_TEST_COLAB=1 COURSE_MODE=fast $(PY) -m pytest tests/test_colab_path.py -p no:cacheprovider -p no:nbval

lessons: $(READY)
	$(PY) -m autograder.assign

bench: $(READY)
	$(PY) -m benchmarks
	$(MAKE) --no-print-directory bench-grading

# Today's grader against earlier commits on the reference solutions, alternating runs.
bench-grading: $(READY)
	$(PY) -m benchmarks.grading $(if $(BASELINE),--baseline $(BASELINE))
	$(PY) -m benchmarks.grading --no-namespaces $(if $(BASELINE),--baseline $(BASELINE))

# A class of STUDENTS copies of the reference, graded as `make grade` would (one run; CORES pins it).
STUDENTS ?= 30
bench-class: $(READY)
	$(PY) -m benchmarks.grading --baseline --repeats 1 --students $(STUDENTS) --every-copy $(if $(CORES),--cores $(CORES))

# make test-fast three times, taking turns with BASELINE's when given.
bench-tests: $(READY)
	$(PY) -m benchmarks.tests $(if $(BASELINE),--baseline $(BASELINE))

gradescope: $(READY)
	$(PY) -m autograder.gradescope --out dist/gradescope-autograder.zip $(if $(VISIBILITY),--visibility $(VISIBILITY))

classifier: $(READY)
	$(PY) -m aecourse.classifier --train

clean:
	rm -rf $(VENV) $(OUT) dist
