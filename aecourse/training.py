"""Training helpers the VAE lessons (4, 5 and 6) and their grader share.

The book trains with a constant learning rate for 50 to 100 epochs. Our recipes
reach a lower test loss in the same number of epochs with a one-cycle shape:
a short linear warm-up (a large rate on a fresh network diverges) and then a
cosine down to zero (small steps at the end settle into a minimum instead of
bouncing around it).

:class:`ShowSamples` shows, while a VAE trains, what its decoder draws from the
same latent points at the end of each epoch, one row per epoch.
"""

from __future__ import annotations

import io
import math

import keras
import numpy as np

from aecourse.plotting import image_grid

LABEL_HEIGHT = 14  # pixels: the text of ShowSamples' pictures, and half the height of a drawn image


def warmup_cosine(peak: float, epochs: int, n_train: int, batch_size: int, warmup_epochs: float = 1.0):
    """A learning rate that climbs linearly from 0 to `peak` for `warmup_epochs`, then falls to 0 along a cosine.

    Pass it to any Keras optimizer, e.g. ``keras.optimizers.Adam(warmup_cosine(0.01, 50, 60_000, 250))``.
    Steps are counted per batch, as Keras counts them: ceil(n_train / batch_size) per epoch.
    """
    if not 0 <= warmup_epochs < epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs): got {warmup_epochs} of {epochs}")
    steps_per_epoch = math.ceil(n_train / batch_size)
    warmup = int(warmup_epochs * steps_per_epoch)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=epochs * steps_per_epoch - warmup, warmup_target=peak, warmup_steps=warmup)


def mean_test_loss(model, inputs, passes: int = 5, batch_size: int = 1000) -> dict[str, float]:
    """The model's loss and metrics over `inputs`, averaged over `passes` evaluations.

    A VAE draws a fresh z for every image at every evaluation, so one pass is
    noisy; the course quotes test losses as the mean of 5.
    """
    runs = [model.evaluate(inputs, batch_size=batch_size, verbose=0, return_dict=True) for _ in range(passes)]
    return {name: float(np.mean([run[name] for run in runs])) for name in runs[0]}


class ShowSamples(keras.callbacks.Callback):
    """A Keras callback: after each epoch, decode the same inputs and show the images, one row per epoch.

    ``decoder_inputs``: what the decoder takes, fixed for the whole run so that the rows
    compare: e.g. ``np.random.default_rng(0).standard_normal((10, LATENT_DIM))``, or those
    points joined with one-hot labels for a conditional decoder. ``decoder``: the model that
    draws them (default: the trained model's ``decoder`` attribute). ``max_rows``: a longer
    run shows every k-th epoch (and always the last), at most this many rows.

    In a notebook (a Jupyter kernel) one picture, updated in place, grows by a row per shown
    epoch; elsewhere (a script, a terminal, a test, the grader) nothing is shown. Either way ``epochs`` and ``rows``
    (each an array (n, h, w)) hold what was drawn, and :meth:`picture` draws it.
    """

    def __init__(self, decoder_inputs, decoder=None, max_rows: int = 10, title: str | None = None):
        super().__init__()
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        self.decoder_inputs = np.asarray(decoder_inputs, dtype="float32")
        self.decoder = decoder
        self.max_rows = max_rows
        n = len(self.decoder_inputs)
        self.title = title or f"what the decoder draws from the same {n} inputs, after each epoch"
        self.epochs: list[int] = []
        self.rows: list[np.ndarray] = []
        self._every = 1
        self._shown = None  # the notebook's display handle, once the picture is shown

    def on_train_begin(self, logs=None):
        self.epochs, self.rows, self._shown = [], [], None
        self._every = math.ceil((self.params.get("epochs") or 1) / self.max_rows)

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("epochs")
        if (epoch + 1) % self._every and epoch + 1 != total:
            return
        decoder = self.decoder if self.decoder is not None else self.model.decoder
        # A direct call, not predict(): no new compiled function, a few milliseconds for a small batch.
        images = keras.ops.convert_to_numpy(decoder(self.decoder_inputs, training=False))
        self.epochs.append(epoch + 1)
        self.rows.append(images.reshape(images.shape[:3]))
        self._show()

    def picture(self):
        """A PIL image of what was drawn: row k is epoch ``epochs[k]``, labelled on the left, ink dark on white.

        Drawn with PIL rather than matplotlib: a few milliseconds instead of a large part of a
        second, at every shown epoch.
        """
        from PIL import Image, ImageDraw, ImageFont

        n, h, w = self.rows[0].shape
        grid = image_grid(np.concatenate(self.rows), ncols=n, pad=1, fill=0.15)  # light grey lines between images
        scale = max(1, round(LABEL_HEIGHT * 2 / h))  # a 28-pixel digit is drawn 56 pixels high
        ink = Image.fromarray(np.round(255 * (1 - np.clip(grid, 0, 1))).astype(np.uint8), "L")
        ink = ink.resize((ink.width * scale, ink.height * scale), Image.NEAREST)
        try:
            font = ImageFont.load_default(size=LABEL_HEIGHT)
        except TypeError:  # Pillow before 10.1: only its small bitmap font
            font = ImageFont.load_default()
        margin, top = 6 * LABEL_HEIGHT, 2 * LABEL_HEIGHT
        title_width = math.ceil(font.getlength(self.title)) + LABEL_HEIGHT // 2
        canvas = Image.new("L", (max(ink.width + margin, title_width), ink.height + top), 255)
        canvas.paste(ink, (margin, top))
        draw = ImageDraw.Draw(canvas)
        draw.text((0, 0), self.title, fill=0, font=font)
        for k, epoch in enumerate(self.epochs):
            middle = top + (k * (h + 1) + h / 2) * scale
            draw.text((margin - LABEL_HEIGHT // 2, middle), f"epoch {epoch}", fill=0, font=font, anchor="rm")
        return canvas

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.picture().save(buffer, format="PNG")
        return buffer.getvalue()

    def _show(self) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:
            return
        if getattr(get_ipython(), "kernel", None) is None:  # no notebook (a script, a terminal): show nothing
            return
        picture = Image(data=self.png(), format="png")
        if self._shown is None:
            self._shown = display(picture, display_id=True)
        else:
            self._shown.update(picture)
