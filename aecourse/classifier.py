"""A reference MNIST classifier, shipped with the course as small trained weights.

Lessons use it as a judge: a generated digit "looks like a 4" when this
classifier says 4 (e.g. the conditional VAE's accuracy on the digits it was
asked to draw). It is a plain small CNN, > 99% accurate on the MNIST test set.

Retrain (writes ``assets/mnist_classifier.weights.h5`` and ``.json``)::

    python -m aecourse.classifier --train          # or: make classifier
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

from aecourse.seeding import set_seed

ASSETS = Path(__file__).resolve().parent / "assets"
WEIGHTS = ASSETS / "mnist_classifier.weights.h5"
REPORT = ASSETS / "mnist_classifier.json"
EPOCHS = 3
BATCH_SIZE = 128


def _with_channel(images):
    """(n, 28, 28) -> (n, 28, 28, 1); other inputs unchanged."""
    if isinstance(images, np.ndarray) and images.ndim == 3:
        return images[..., np.newaxis]
    return images


class MnistClassifier(keras.Model):
    """A functional model whose ``predict`` and ``evaluate`` take (n, 28, 28) too.

    Keras adds the missing channel axis by itself, but only until one model
    object has seen both layouts: then ``predict`` retraces with an input of
    unknown rank and fails ("as_list() is not defined on an unknown
    TensorShape"). Adding the axis before Keras sees the array avoids that.
    """

    def predict(self, x, *args, **kwargs):
        return super().predict(_with_channel(x), *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        return super().evaluate(_with_channel(x), *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(_with_channel(x))


def build_classifier(compile: bool = True) -> keras.Model:
    """The CNN: (n, 28, 28, 1) float [0, 1] -> softmax (n, 10), 75,242 weights.

    Keras' functional models also accept (n, 28, 28): a missing trailing
    channel axis of size 1 is added automatically. ``compile``: with Adam,
    sparse categorical cross-entropy and accuracy.
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Conv2D(32, 3, activation="relu")(inputs)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    # Dropout instead of a wide dense layer keeps the weights file small (< 1 MB).
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="digit")(x)
    model = MnistClassifier(inputs, outputs, name="mnist_classifier")
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def save_weights(model: keras.Model, path: Path = WEIGHTS) -> None:
    """Save the layer weights only: the optimizer's state would triple the file."""
    bare = build_classifier(compile=False)
    bare.set_weights(model.get_weights())
    bare.save_weights(path)


def train_classifier(seed: int = 0, epochs: int = EPOCHS, verbose: int = 2):
    """Train on the 60,000 MNIST training digits; returns ``(model, test_accuracy)``.

    Reproducible up to CPU floating-point nondeterminism: fixed seed, fixed
    epochs and batch size, no early stopping.
    """
    from aecourse.datasets import load_mnist

    set_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = build_classifier()
    model.fit(x_train[..., None], y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=verbose)
    _, accuracy = model.evaluate(x_test[..., None], y_test, batch_size=1000, verbose=0)
    return model, float(accuracy)


def load_reference_classifier() -> keras.Model:
    """The shipped classifier (compiled, so ``evaluate`` works).

    Input (n, 28, 28) or (n, 28, 28, 1), float in [0, 1]; output softmax (n, 10).
    """
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"{WEIGHTS} is missing: run `python -m aecourse.classifier --train`")
    model = build_classifier(compile=False)
    model.load_weights(WEIGHTS)
    # Compiled after loading: the file holds no optimizer state to match.
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="train and overwrite the shipped weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    if not args.train:
        parser.print_help()
        return 0
    start = time.time()
    model, accuracy = train_classifier(seed=args.seed, epochs=args.epochs)
    ASSETS.mkdir(exist_ok=True)
    save_weights(model)
    report = {
        "test_accuracy": round(accuracy, 4),
        "date": datetime.date.today().isoformat(),
        "command": "python -m aecourse.classifier --train"
                   + (f" --seed {args.seed}" if args.seed else "")
                   + (f" --epochs {args.epochs}" if args.epochs != EPOCHS else ""),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": BATCH_SIZE,
        "parameters": int(model.count_params()),
        "train_seconds": round(time.time() - start, 1),
        "keras": keras.__version__,
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if accuracy < 0.99:
        print(f"test accuracy {accuracy:.4f} is below the course's 0.99", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
