"""Importing aecourse before TensorFlow keeps TensorFlow's start-up chatter out; its warnings still show."""

from __future__ import annotations

import subprocess
import sys

from aecourse.quiet import informational_only

BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
INFO = ("I0000 00:00:1796160920.172438    3785 port.cc:153] oneDNN custom operations are on. You may see slightly "
        "different numerical results.\n")


def test_only_the_informational_lines_are_dropped():
    warning = "W0000 00:00:1796160920.1 3785 something.cc:12] a real warning\n"
    assert informational_only(BANNER + INFO + warning + "Traceback: boom\n") == warning + "Traceback: boom\n"


def test_a_real_tensorflow_import_prints_nothing_after_import_aecourse():
    run = subprocess.run([sys.executable, "-c", "import aecourse, keras; print(keras.__version__)"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("3.")
    assert "oneDNN" not in run.stderr and "absl::InitializeLog" not in run.stderr and "I0000" not in run.stderr, run.stderr


def test_a_first_model_on_a_machine_without_a_gpu_prints_no_cuinit_error():
    # TensorFlow looks for a GPU at the first model; without one it logs "failed call to cuInit".
    code = ("import aecourse, numpy, keras\n"
            "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
            "print(model.predict(numpy.zeros((1, 2)), verbose=0).shape)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(1, 1)"
    assert "cuInit" not in run.stderr, run.stderr


def test_a_real_error_line_is_kept():
    error = "E0000 00:00:1796489140.734483   18107 some_op.cc:52] a real error\n"
    cuinit = ("E0000 00:00:1796489140.734483   18107 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
              "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n")
    assert informational_only(cuinit + error) == error
