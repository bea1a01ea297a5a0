"""The student's Keras models, rebuilt and checked in the judge: only their layer list and weights cross over.

A hidden test never runs a model's code from the contestant in the judge: it asks
the contestant for the model's configuration (JSON) and weights (arrays), and
``local_model`` rebuilds it here with the judge's Keras, refusing any class that is
not Keras' own or the reference's (``UnusableModel``, a failed check worded for the
student). ``expect_reference_function`` loads the student's weights into the
exercise's own architecture and compares outputs; ``load_trained_weights`` sets
weights a contestant trained into the judge's model. Keras and numpy are imported
on first use, so importing this module does not load them.
"""

from __future__ import annotations

import json
import re

KERAS_MODULE = re.compile(r"^keras(\.[A-Za-z_]\w*)*$")
LOCAL_MODEL_TOLERANCE = 1e-4


class UnusableModel(AssertionError):
    """The student's model cannot be rebuilt from the layers it lists (a custom or forbidden layer)."""


def _check_config(node, custom: set[str], where: str = "model") -> None:
    """Refuse anything in a Keras config that would make Keras import or run code of the student's."""
    if isinstance(node, list):
        for item in node:
            _check_config(item, custom, where)
        return
    if not isinstance(node, dict):
        return
    module, name = node.get("module"), node.get("class_name")
    if "class_name" in node:
        if not isinstance(name, str) or name in ("Lambda", "__lambda__", "TorchModuleWrapper"):
            raise UnusableModel(f"your {where} uses a {name} layer, which the grader cannot rebuild; "
                                "use the layers the exercise names")
        if module is None and name not in custom and "config" in node and node.get("registered_name") is not None:
            raise UnusableModel(f"your {where} uses a custom class {name!r}, which the grader cannot rebuild")
        if module is not None and (not isinstance(module, str) or not KERAS_MODULE.match(module)):
            if name not in custom:
                raise UnusableModel(f"your {where} uses {name!r} from {module!r}, which the grader cannot rebuild; "
                                    "use Keras' own layers")
    for value in node.values():
        _check_config(value, custom, where)


def local_model(remote, reference: dict | None = None, *, check_inputs=None, what: str = "model"):
    """The student's Keras model rebuilt here, in the judge, from its layer list and weights.

    Only the model's config (JSON, checked to name Keras' own classes or the
    reference's classes in ``reference``) and its weights (arrays) come from the
    contestant; the judge's Keras builds and runs it. ``check_inputs``: arrays on
    which the student's own model must give the same outputs as the rebuilt one,
    so a model that lists one architecture and computes another is caught.
    """
    import keras
    import numpy as np

    custom = {k: v for k, v in (reference or {}).items() if isinstance(v, type) and issubclass(v, keras.layers.Layer)}
    text = remote.to_json()
    weights = remote.get_weights()
    if not isinstance(text, str) or not isinstance(weights, list) or \
            not all(isinstance(w, np.ndarray) for w in weights):
        raise UnusableModel(f"your {what} is not a Keras model the grader can read")
    try:
        config = json.loads(text)
    except json.JSONDecodeError:
        raise UnusableModel(f"your {what}'s configuration is not JSON") from None
    _check_config(config, set(custom), what)
    try:
        with keras.saving.custom_object_scope(custom):
            model = keras.models.model_from_json(text, custom_objects=custom)
        model.set_weights(weights)
    except Exception as error:  # noqa: BLE001 - whatever Keras says, in one line
        raise UnusableModel(f"your {what} could not be rebuilt from its layers ({type(error).__name__}: "
                            f"{str(error).splitlines()[0][:200] if str(error) else ''})") from None
    if check_inputs is not None:
        theirs = inference(remote, check_inputs)
        ours = inference(model, check_inputs)
        for a, b in zip(_as_list(theirs), _as_list(ours)):
            if not isinstance(a, np.ndarray) or a.shape != np.shape(b) or \
                    not np.allclose(a, b, atol=LOCAL_MODEL_TOLERANCE, rtol=LOCAL_MODEL_TOLERANCE):
                raise UnusableModel(f"your {what} does not compute what its layers say "
                                    "(a custom layer, or a model changed behind Keras' back?)")
    return model


def inference(model, inputs):
    """What ``model.predict(inputs)`` gives, from one eager call in inference mode.

    ``predict`` traces a function for every new model (0.1-0.4 s each, most of an
    architecture test's time); the call computes the same thing directly. ``model``:
    a Keras model here, or the student's in the contestant, whose tensors come back as
    arrays and whose anything else comes back as it is, for the checks to refuse.
    """
    import keras
    import numpy as np

    outputs = model(inputs, training=False)
    if not isinstance(model, keras.Model):  # the student's: left for the checks to judge
        return outputs
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else np.asarray(outputs)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def load_trained_weights(model, weights, what: str, network: str) -> None:
    """Weights a contestant trained, set into the judge's own ``model``; anything else fails the check.

    ``what`` names the part ("encoder"), ``network`` the exercise's model ("VAE"), for the message.
    """
    _set_checked_weights(model, weights, f"the training of your {network} did not give the {what}'s weights as arrays",
                         f"your trained {what}'s weights")


def _set_checked_weights(model, weights, not_arrays: str, whose: str) -> None:
    """``weights`` into ``model`` if they are arrays of its shapes; else an AssertionError worded for the student."""
    import numpy as np

    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        raise AssertionError(not_arrays)
    expected = [tuple(w.shape) for w in model.get_weights()]
    got = [tuple(w.shape) for w in weights]
    if got != expected:
        def listed(shapes):
            return f"{len(shapes)} weight arrays {shapes[:6]}{'...' if len(shapes) > 6 else ''}"

        raise AssertionError(f"{whose} do not fit the architecture the exercise describes: "
                             f"{listed(got)}, expected {listed(expected)}")
    model.set_weights([w.astype("float32") for w in weights])


def expect_reference_function(remote, reference_model, inputs, *, outputs=None, what: str = "model",
                              tolerance: float = 1e-4) -> None:
    """The student's model computes what the exercise's architecture computes, with the student's weights.

    The student's weights are loaded into the reference architecture, built here;
    both run on ``inputs`` (drawn by the judge). A layer in the wrong order, a
    missing activation or an extra layer changes the outputs even where the
    weight shapes agree. ``outputs``: the indices of the outputs to compare (a
    sampling output is random, so encoders compare only their first two).
    """
    import numpy as np

    _set_checked_weights(reference_model, remote.get_weights(), f"your {what} is not a Keras model the grader can read",
                         f"your {what}'s weights")
    theirs = _as_list(inference(remote, inputs))
    ours = _as_list(inference(reference_model, inputs))
    if len(theirs) != len(ours):
        raise AssertionError(f"your {what} has {len(theirs)} outputs, the exercise asks for {len(ours)}")
    for index in (outputs if outputs is not None else range(len(ours))):
        a, b = theirs[index], ours[index]
        if not isinstance(a, np.ndarray) or a.shape != b.shape:
            raise AssertionError(f"output {index} of your {what} has shape "
                                 f"{getattr(a, 'shape', type(a).__name__)}, expected {b.shape}")
        if not np.allclose(a, b, atol=tolerance, rtol=tolerance):
            worst = float(np.max(np.abs(a.astype("float64") - b)))
            raise AssertionError(f"your {what} computes something else than the layers the exercise describes, "
                                 f"in this order and with these activations (output {index} differs by up to "
                                 f"{worst:.3g} with your own weights)")


# Keras layers that compute something else while training than while predicting: the book's
# networks have none, so in training mode they must compute what they compute in inference.
TRAINING_ONLY = re.compile(r"Dropout|GaussianNoise|BatchNormalization|ActivityRegularization|^Random[A-Z]")


def training_only_layers(remote) -> list[str]:
    """The classes in the student's model's config that behave differently while training (for the message)."""
    try:
        config = json.loads(remote.to_json())
    except Exception:  # noqa: BLE001 - only the message depends on it
        return []
    found: list[str] = []

    def walk(node):
        # Only the entries of a "layers" list are layers (a RandomNormal elsewhere is an initializer).
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for layer in node.get("layers", []) if isinstance(node.get("layers"), list) else []:
                name = layer.get("class_name") if isinstance(layer, dict) else None
                if isinstance(name, str) and TRAINING_ONLY.search(name) and name not in found:
                    found.append(name)
            for value in node.values():
                walk(value)

    walk(config)
    return found


def expect_same_in_training(remote, reference_model, inputs, *, outputs=None, what: str = "model",
                            tolerance: float = 1e-4) -> None:
    """In training mode too, the student's model computes what the book's computes with the student's weights.

    ``remote(inputs, training=True)`` (the student's model as ``fit`` runs it) against the
    exercise's own architecture, built here, with the student's weights, also in training mode.
    The book's networks have no layer that acts only while training, so an extra Dropout,
    GaussianNoise or BatchNormalization fails here even where every prediction agrees.
    ``outputs``: the indices of the outputs to compare (a Sampling output is random).
    """
    import numpy as np

    extra = training_only_layers(remote)
    named = (f" Your {what} has {', '.join(extra)}; the book's has none." if extra else
             " A Dropout, GaussianNoise or BatchNormalization layer? The book's has none.")
    try:
        _set_checked_weights(reference_model, remote.get_weights(), f"your {what} is not a Keras model the grader "
                             "can read", f"your {what}'s weights")
    except AssertionError as error:
        raise AssertionError(f"{error}.{named}" if extra else str(error)) from None
    theirs = _as_list(remote(inputs, training=True))
    ours = [np.asarray(o) for o in _as_list(reference_model(inputs, training=True))]
    if len(theirs) != len(ours):
        raise AssertionError(f"in training mode your {what} has {len(theirs)} outputs, the exercise asks for {len(ours)}")
    for index in (outputs if outputs is not None else range(len(ours))):
        a, b = theirs[index], ours[index]
        if not isinstance(a, np.ndarray) or a.shape != b.shape or a.dtype.kind not in "fiu":
            raise AssertionError(f"in training mode, output {index} of your {what} has shape "
                                 f"{getattr(a, 'shape', type(a).__name__)}, expected {b.shape}")
        if not np.all(np.isfinite(a)) or not np.allclose(a, b, atol=tolerance, rtol=tolerance):
            raise AssertionError(f"in training mode (model(x, training=True), as fit runs it) output {index} of your "
                                 f"{what} differs from the book's network with your weights.{named}")


def expect_the_books_network_in_both_modes(student_builder, reference_builder, inputs, *, what: str) -> None:
    """Fresh models from both builders (``lambda: build_decoder(latent_dim=k)``) compute the same, as
    ``predict`` runs them and as ``fit`` does (training mode): one check for an architecture exercise."""
    expect_reference_function(student_builder(), reference_builder(), inputs, what=what)
    expect_same_in_training(student_builder(), reference_builder(), inputs, what=what.split(" (")[0])
