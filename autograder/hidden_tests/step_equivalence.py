"""The `vae` and `cvae` exercises judged by exact step equivalence with the reference.

A class whose training steps equal the reference's, step for step, trains as the
reference does: so instead of training the student's model (slow, and weights trained
anywhere could be sent back), the judge draws at grading time a starting point (the
reference's initial weights under a drawn seed, perturbed), real MNIST digits for a few
batches and the sampling noise; the contestant runs a few plain SGD steps of the
student's class from there (``probes.vae_training_steps`` / ``cvae_training_steps``), the
judge runs the very same function on the reference's class, and the tests compare:

* the loss at the grader's weights (fit's first step reports it before updating);
* the weights after one step: the gradient of the student's loss is the reference's;
* the weights and logs after every step: the state carried from step to step (trackers,
  optimizer, one noise draw per step) is the reference's;
* the kl_loss and reconstruction_loss that fit reports;
* training mode: fit's first loss equals the loss of the same forward pass with
  training=False (the book's VAE has nothing that behaves differently in training).

Nothing the contestant sends back is trusted: it is only compared with the judge's run.

Tolerances: ``public_tests/vae_steps.py`` (LOSS_RTOL, STEP_RTOL, STEP_ULPS), with why.
Which tests a class inherits: :class:`StepTests`.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from autograder.hidden_tests.shared import fresh_rng, once_per_judge
from autograder.testing import grading_seed, points
from public_tests.vae_steps import (LOSS_RTOL, STEP_RTOL, STEP_ULPS, TRAINING_MODE_RTOL, logs_difference,
                                    perturbed_start, step_difference)

STEPS = 3
BATCH = 32
LEARNING_RATE = 1e-3
WHOSE = "the reference's"


@dataclass
class Steps:
    """The judge's draw and both runs of it (see ``public_tests.vae_steps.training_steps`` for a run)."""
    start: list          # [encoder weights, decoder weights] before the first step
    names: list          # a readable name per tensor, the same nesting
    reference: dict
    student: dict


def graders_steps(exercise: str, student, reference, probe: str, build_names: tuple[str, str], labelled: bool) -> Steps:
    """Both runs of the grader's steps for this student (once per judge; a failure is kept and shown to every test)."""
    from autograder.contestant.probes import PROBES, StudentNames

    def run() -> Steps:
        rng = fresh_rng(grading_seed())
        builders = [getattr(reference, name) for name in build_names]
        start, names = starting_weights(builders, rng)
        images, digits = mnist_batches(rng, STEPS * BATCH)
        noise = rng.standard_normal((STEPS, BATCH, 2)).astype("float32")
        data = (images, np.eye(10, dtype="float32")[digits]) if labelled else (images,)
        arguments = (start[0], start[1], *data, BATCH, noise, LEARNING_RATE)
        # The reference's run here while the contestant runs the student's: two cores, half the wait.
        with ThreadPoolExecutor(max_workers=1) as pool:
            ours = pool.submit(PROBES[probe], StudentNames(reference.values), *arguments)
            try:
                theirs = student.probe(probe, *arguments)
            finally:
                ours = ours.result()
        return Steps(start, names, ours, well_formed(theirs, ours, exercise))

    # A judge grades one student: the runs depend on the seed only (the draw, fresh per judge, is kept).
    return once_per_judge((probe, grading_seed()), run)


def starting_weights(builders, rng) -> tuple[list, list]:
    """The reference's initial weights under a seed drawn here, perturbed (``vae_steps.perturbed_start``), and a name per tensor."""
    import keras

    keras.utils.set_random_seed(int(rng.integers(2 ** 31)))
    encoder, decoder = (build(latent_dim=2) for build in builders)
    names = [[f"the {part}'s {variable.path} {tuple(variable.shape)}" for variable in model.weights]
             for part, model in (("encoder", encoder), ("decoder", decoder))]
    return perturbed_start(encoder, decoder, rng), names


def mnist_batches(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` real training digits chosen here (floats as load_mnist gives them) and their labels."""
    from aecourse.datasets import to_unit_float

    pixels, labels = _training_digits()
    chosen = rng.choice(len(pixels), size=n, replace=False)
    return to_unit_float(pixels[chosen]), np.asarray(labels[chosen], dtype="int64")


@functools.lru_cache(maxsize=1)
def _training_digits() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training pixels and labels, read once per judge (the VAE's and the CVAE's tests both draw from them)."""
    from aecourse.datasets import load_mnist_pixels

    (pixels, labels), _ = load_mnist_pixels()
    pixels.flags.writeable = labels.flags.writeable = False  # shared by every draw: nobody changes them
    return pixels, labels


def well_formed(result, expected: dict, exercise: str) -> dict:
    """The contestant's answer, checked for form only (its values are compared by the tests)."""
    what = f"the grader's SGD steps of your {exercise.upper()} class"
    if not isinstance(result, dict) or set(result) != set(expected):
        raise AssertionError(f"{what} came back malformed")
    if not isinstance(result["inference_loss"], float) or not isinstance(result["noise_used"], int):
        raise AssertionError(f"{what} came back malformed")
    return result


# ----------------------------------------------------------------------------- the checks, one per test

def expect_loss_at_start(steps: Steps) -> None:
    got, want = steps.student["logs"], steps.reference["logs"]
    if not isinstance(got, np.ndarray) or got.ndim != 2 or len(got) == 0 or got.shape[1] != 3:
        raise AssertionError("fit reported no loss for the grader's steps")
    if not abs(got[0, 0] - want[0, 0]) <= LOSS_RTOL * abs(want[0, 0]):
        raise AssertionError(
            f"at the grader's weights, batch and noise your class's loss is {got[0, 0]:.6g} nats, "
            f"the reference's {want[0, 0]:.6g}: the loss is the batch mean of kl_divergence + reconstruction_loss "
            "of call's outputs, and call decodes the sampled z (the encoder's third output)")


def expect_first_step(steps: Steps) -> None:
    problem = step_difference(steps.start, steps.reference["first"], steps.student["first"], steps.names, BATCH,
                              STEP_RTOL, STEP_ULPS, WHOSE)
    if problem:
        raise AssertionError(f"from the grader's weights, {problem}")


def expect_later_steps(steps: Steps) -> None:
    used = steps.student["noise_used"]
    if used != STEPS:
        raise AssertionError(f"during {STEPS} training steps your class called its encoder {used} times, "
                             f"the reference {STEPS} (once per step)")
    problem = step_difference(steps.start, steps.reference["last"], steps.student["last"], steps.names, BATCH,
                              STEP_RTOL, STEP_ULPS, WHOSE)
    if problem:
        raise AssertionError(f"over {STEPS} steps: " + problem.replace("after one SGD step", f"after {STEPS} SGD steps"))
    losses = logs_difference(steps.reference["logs"], steps.student["logs"], LOSS_RTOL, WHOSE, columns=("loss",))
    if losses:
        raise AssertionError(losses)


def expect_reported_parts(steps: Steps) -> None:
    problem = logs_difference(steps.reference["logs"], steps.student["logs"], LOSS_RTOL, WHOSE)
    if problem:
        raise AssertionError(problem)


def expect_training_mode_changes_nothing(steps: Steps) -> None:
    reference_fit, reference_call = steps.reference["logs"][0, 0], steps.reference["inference_loss"]
    assert abs(reference_fit - reference_call) <= TRAINING_MODE_RTOL * abs(reference_call), "the grader's own run"
    logs = steps.student["logs"]
    if not isinstance(logs, np.ndarray) or logs.ndim != 2 or len(logs) == 0:
        raise AssertionError("fit reported no loss for the grader's steps")
    fit, call = float(logs[0, 0]), steps.student["inference_loss"]
    if not abs(fit - call) <= TRAINING_MODE_RTOL * abs(call):
        raise AssertionError(
            f"with the same weights, batch and noise, fit's first step computes a loss of {fit:.6g} nats and "
            f"call(x, training=False) + compute_loss {call:.6g}: something in your class behaves differently in "
            "training (a Dropout, GaussianNoise or BatchNormalization layer?); the book's model does not")


def steps_match(steps: Steps) -> bool:
    try:
        for expectation in (expect_loss_at_start, expect_first_step, expect_later_steps, expect_reported_parts,
                            expect_training_mode_changes_nothing):
            expectation(steps)
    except AssertionError:
        return False
    return True


def show_the_references_pictures(exercise: str, titles: list[str], steps: Steps) -> None:
    """The reference's pictures for the feedback, when the student's class trains exactly like it; else none."""
    from autograder import pictures

    if steps_match(steps):
        pictures.show_reference(exercise, titles, why=(
            "Your class's training steps equal the reference's, step for step, from the grader's weights, digits "
            "and noise, so it trains as the reference does: this is what the reference draws after a short "
            "training (the grader trains nothing of yours; these pictures were made once, from the reference)."))


class StepTests:
    """The five step tests (6 points), for a hidden-test class of the `vae` or `cvae` exercise to inherit.

    The class sets ``exercise``, ``steps_probe`` (the probe's name), ``builders`` (the names of
    the encoder's and decoder's build functions), ``labelled`` (a CVAE) and ``pictures`` (titles
    of the reference's pictures, shown when the steps match).
    """

    exercise: str
    steps_probe: str
    builders: tuple[str, str]
    labelled: bool
    pictures: list[str]

    def _steps(self, student, reference) -> Steps:
        return graders_steps(self.exercise, student, reference, self.steps_probe, self.builders, self.labelled)

    @points(1)
    def test_the_loss_at_the_graders_weights_is_the_references(self, student, reference):
        """the loss at the grader's weights, digits and noise is the reference's"""
        expect_loss_at_start(self._steps(student, reference))

    @points(2)
    def test_one_sgd_step_moves_every_weight_as_the_reference_does(self, student, reference):
        """one SGD step from the grader's weights moves every weight as the reference's step does"""
        expect_first_step(self._steps(student, reference))

    @points(1)
    def test_three_steps_carry_on_as_the_reference_does(self, student, reference):
        """three SGD steps carry on as the reference's do (trackers, optimizer, one noise draw per step)"""
        found = self._steps(student, reference)
        show_the_references_pictures(self.exercise, self.pictures, found)
        expect_later_steps(found)

    @points(1)
    def test_fit_reports_the_references_kl_and_reconstruction_losses(self, student, reference):
        """fit reports the reference's kl_loss and reconstruction_loss after every step"""
        expect_reported_parts(self._steps(student, reference))

    @points(1)
    def test_training_mode_changes_nothing(self, student, reference):
        """training mode changes nothing: fit's loss is that of the same forward pass with training=False"""
        expect_training_mode_changes_nothing(self._steps(student, reference))
