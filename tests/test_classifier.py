"""The shipped reference MNIST classifier: small, documented, >= 99% on the real test set."""

import json

import numpy as np

from aecourse.classifier import REPORT, WEIGHTS, build_classifier, load_reference_classifier


def test_shipped_files_are_small_and_documented():
    assert WEIGHTS.stat().st_size < 2 * 2**20
    report = json.loads(REPORT.read_text())
    for key in ("test_accuracy", "date", "command", "seed", "epochs"):
        assert key in report
    assert report["test_accuracy"] >= 0.99
    assert report["command"].startswith("python -m aecourse.classifier --train")


def test_architecture_matches_the_weights_file():
    model = build_classifier(compile=False)
    assert model.output_shape == (None, 10)
    model.load_weights(WEIGHTS)  # raises if the layers and the file disagree


def test_reference_classifier_is_99_percent_accurate_on_real_mnist(real_data):
    from aecourse.datasets import load_mnist

    real_data("mnist")
    (_, _), (x_test, y_test) = load_mnist()
    model = load_reference_classifier()
    probabilities = model.predict(x_test, batch_size=1000, verbose=0)  # (n, 28, 28) input
    assert probabilities.shape == (10000, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)
    accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
    assert accuracy >= 0.99, accuracy
    # The channel-last layout gives the same answers.
    with_channel = model.predict(x_test[:100, ..., None], verbose=0)
    np.testing.assert_allclose(with_channel, probabilities[:100], atol=1e-6)
