"""Planted bugs for lesson 06_cvae: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'build_cvae_encoder': [
        r'''# Exercise: build_cvae_encoder
# Planted bug: the label is never joined to the pixels (the label input is ignored)
def build_cvae_encoder(latent_dim=LATENT_DIM):
    """The conditional encoder: [images (batch, 28, 28), labels (batch, 10)] -> [z_mean, z_log_var, z].

    Layers: Input(IMAGE_SHAPE) -> Flatten; Input((NUM_CLASSES,)); Concatenate the two (794 numbers)
            -> Dense(512, relu) -> Dense(256, relu)   (the HIDDEN_UNITS, in that order)
            -> two linear Dense(latent_dim) heads "z_mean", "z_log_var" -> Sampling, named "z".
    Hint: a for loop over HIDDEN_UNITS writes the two hidden layers in two lines.
    Returns keras.Model([images, labels], [z_mean, z_log_var, z], name="cvae_encoder");
    each output has shape (batch, latent_dim).
    """
    ### BEGIN SOLUTION
    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    labels = keras.Input(shape=(NUM_CLASSES,), name="label")
    hidden = layers.Flatten()(images)
    for units in HIDDEN_UNITS:
        hidden = layers.Dense(units, activation="relu")(hidden)
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model([images, labels], [z_mean, z_log_var, z], name="cvae_encoder")
    ### END SOLUTION''',
        r'''# Exercise: build_cvae_encoder
# Planted bug: the label is joined after the hidden layers instead of to the pixels
def build_cvae_encoder(latent_dim=LATENT_DIM):
    """The conditional encoder: [images (batch, 28, 28), labels (batch, 10)] -> [z_mean, z_log_var, z].

    Layers: Input(IMAGE_SHAPE) -> Flatten; Input((NUM_CLASSES,)); Concatenate the two (794 numbers)
            -> Dense(512, relu) -> Dense(256, relu)   (the HIDDEN_UNITS, in that order)
            -> two linear Dense(latent_dim) heads "z_mean", "z_log_var" -> Sampling, named "z".
    Hint: a for loop over HIDDEN_UNITS writes the two hidden layers in two lines.
    Returns keras.Model([images, labels], [z_mean, z_log_var, z], name="cvae_encoder");
    each output has shape (batch, latent_dim).
    """
    ### BEGIN SOLUTION
    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    labels = keras.Input(shape=(NUM_CLASSES,), name="label")
    hidden = layers.Flatten()(images)
    for units in HIDDEN_UNITS:
        hidden = layers.Dense(units, activation="relu")(hidden)
    hidden = layers.Concatenate()([hidden, labels])
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model([images, labels], [z_mean, z_log_var, z], name="cvae_encoder")
    ### END SOLUTION''',
    ],
    'build_cvae_decoder': [
        r'''# Exercise: build_cvae_decoder
# Planted bug: the decoder input has room for z only, not for the label
def build_cvae_decoder(latent_dim=LATENT_DIM):
    """The conditional decoder: [z, label] joined, (batch, latent_dim + 10) -> (batch, 28, 28).

    Layers: Input((latent_dim + NUM_CLASSES,)) -> Dense(256, relu) -> Dense(512, relu)
            (the HIDDEN_UNITS in reverse order) -> Dense(NUM_PIXELS, sigmoid) -> Reshape(IMAGE_SHAPE).
    Hint: reversed(HIDDEN_UNITS) gives 256, then 512.
    The first latent_dim inputs are z, the last 10 the (one-hot) label.
    Returns keras.Model(inputs, outputs, name="cvae_decoder").
    """
    ### BEGIN SOLUTION
    z_and_label = keras.Input(shape=(latent_dim,), name="z_and_label")
    hidden = z_and_label
    for units in reversed(HIDDEN_UNITS):
        hidden = layers.Dense(units, activation="relu")(hidden)
    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)
    return keras.Model(z_and_label, layers.Reshape(IMAGE_SHAPE)(pixels), name="cvae_decoder")
    ### END SOLUTION''',
        r'''# Exercise: build_cvae_decoder
# Planted bug: no sigmoid on the output
def build_cvae_decoder(latent_dim=LATENT_DIM):
    """The conditional decoder: [z, label] joined, (batch, latent_dim + 10) -> (batch, 28, 28).

    Layers: Input((latent_dim + NUM_CLASSES,)) -> Dense(256, relu) -> Dense(512, relu)
            (the HIDDEN_UNITS in reverse order) -> Dense(NUM_PIXELS, sigmoid) -> Reshape(IMAGE_SHAPE).
    Hint: reversed(HIDDEN_UNITS) gives 256, then 512.
    The first latent_dim inputs are z, the last 10 the (one-hot) label.
    Returns keras.Model(inputs, outputs, name="cvae_decoder").
    """
    ### BEGIN SOLUTION
    z_and_label = keras.Input(shape=(latent_dim + NUM_CLASSES,), name="z_and_label")
    hidden = z_and_label
    for units in reversed(HIDDEN_UNITS):
        hidden = layers.Dense(units, activation="relu")(hidden)
    pixels = layers.Dense(NUM_PIXELS, name="pixels")(hidden)
    return keras.Model(z_and_label, layers.Reshape(IMAGE_SHAPE)(pixels), name="cvae_decoder")
    ### END SOLUTION''',
    ],
    'cvae': [
        r'''# Exercise: cvae
# Planted bug: the label is not joined to z before decoding
class CVAE(keras.Model):
    """Conditional VAE: inputs (images (batch, 28, 28), labels (batch, 10)).

    call((images, labels)) -> (z_mean, z_log_var, reconstruction): encode the pair, then decode
        the sampled z joined with the labels, ops.concatenate([z, labels], axis=-1).
    compute_loss(x=(images, labels), y_pred=that tuple) -> the batch mean of
        kl_divergence + reconstruction_loss against the images; updates both trackers.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, inputs):
        images, labels = inputs
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder([images, labels])
        reconstruction = self.decoder(z)
        return z_mean, z_log_var, reconstruction
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        images, labels = x
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(images, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(kl + reconstruction_part)
        ### END SOLUTION''',
        r'''# Exercise: cvae
# Planted bug: the label comes before z in the decoder's input
class CVAE(keras.Model):
    """Conditional VAE: inputs (images (batch, 28, 28), labels (batch, 10)).

    call((images, labels)) -> (z_mean, z_log_var, reconstruction): encode the pair, then decode
        the sampled z joined with the labels, ops.concatenate([z, labels], axis=-1).
    compute_loss(x=(images, labels), y_pred=that tuple) -> the batch mean of
        kl_divergence + reconstruction_loss against the images; updates both trackers.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, inputs):
        images, labels = inputs
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder([images, labels])
        reconstruction = self.decoder(ops.concatenate([labels, z], axis=-1))
        return z_mean, z_log_var, reconstruction
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        images, labels = x
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(images, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(kl + reconstruction_part)
        ### END SOLUTION''',
        r'''# Exercise: cvae
# Planted bug: decodes z_mean instead of the sampled z
class CVAE(keras.Model):
    """Conditional VAE: inputs (images (batch, 28, 28), labels (batch, 10)).

    call((images, labels)) -> (z_mean, z_log_var, reconstruction): encode the pair, then decode
        the sampled z joined with the labels, ops.concatenate([z, labels], axis=-1).
    compute_loss(x=(images, labels), y_pred=that tuple) -> the batch mean of
        kl_divergence + reconstruction_loss against the images; updates both trackers.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, inputs):
        images, labels = inputs
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder([images, labels])
        reconstruction = self.decoder(ops.concatenate([z_mean, labels], axis=-1))
        return z_mean, z_log_var, reconstruction
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        images, labels = x
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(images, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(kl + reconstruction_part)
        ### END SOLUTION''',
        r'''# Exercise: cvae
# Planted bug: the KL term is left out of the loss
class CVAE(keras.Model):
    """Conditional VAE: inputs (images (batch, 28, 28), labels (batch, 10)).

    call((images, labels)) -> (z_mean, z_log_var, reconstruction): encode the pair, then decode
        the sampled z joined with the labels, ops.concatenate([z, labels], axis=-1).
    compute_loss(x=(images, labels), y_pred=that tuple) -> the batch mean of
        kl_divergence + reconstruction_loss against the images; updates both trackers.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, inputs):
        images, labels = inputs
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder([images, labels])
        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))
        return z_mean, z_log_var, reconstruction
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        images, labels = x
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(images, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(reconstruction_part)
        ### END SOLUTION''',
    ],
    'generate_digits': [
        r'''# Exercise: generate_digits
# Planted bug: the label is put before z in the decoder's input
def generate_digits(decoder, digit, n, latent_dim=LATENT_DIM, seed=0):
    """Draw n images of `digit` with a conditional decoder.

    decoder: a keras model, (m, latent_dim + 10) -> (m, 28, 28).
    digit: 0..9.   n: how many images.
    z: n points from N(0, I), drawn with np.random.default_rng(seed).standard_normal,
       so the same seed gives the same z (and the same styles) whatever the digit.
    Returns a numpy array (n, 28, 28): the decoder's images for [z, one-hot(digit)].

    Hint: np.eye(NUM_CLASSES)[[digit] * n] is n one-hot rows; np.concatenate(..., axis=1)
    puts z first and the label after it, as the decoder expects.
    """
    ### BEGIN SOLUTION
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    labels = np.zeros((n, NUM_CLASSES), dtype="float32")
    labels[:, digit] = 1.0
    images = decoder.predict(np.concatenate([labels, z], axis=1), verbose=0)
    return np.asarray(images).reshape(n, 28, 28)
    ### END SOLUTION''',
        r'''# Exercise: generate_digits
# Planted bug: z drawn from a uniform distribution on [0, 1) instead of N(0, I)
def generate_digits(decoder, digit, n, latent_dim=LATENT_DIM, seed=0):
    """Draw n images of `digit` with a conditional decoder.

    decoder: a keras model, (m, latent_dim + 10) -> (m, 28, 28).
    digit: 0..9.   n: how many images.
    z: n points from N(0, I), drawn with np.random.default_rng(seed).standard_normal,
       so the same seed gives the same z (and the same styles) whatever the digit.
    Returns a numpy array (n, 28, 28): the decoder's images for [z, one-hot(digit)].

    Hint: np.eye(NUM_CLASSES)[[digit] * n] is n one-hot rows; np.concatenate(..., axis=1)
    puts z first and the label after it, as the decoder expects.
    """
    ### BEGIN SOLUTION
    z = np.random.default_rng(seed).random((n, latent_dim)).astype("float32")
    labels = np.zeros((n, NUM_CLASSES), dtype="float32")
    labels[:, digit] = 1.0
    images = decoder.predict(np.concatenate([z, labels], axis=1), verbose=0)
    return np.asarray(images).reshape(n, 28, 28)
    ### END SOLUTION''',
        r'''# Exercise: generate_digits
# Planted bug: the seed is ignored
def generate_digits(decoder, digit, n, latent_dim=LATENT_DIM, seed=0):
    """Draw n images of `digit` with a conditional decoder.

    decoder: a keras model, (m, latent_dim + 10) -> (m, 28, 28).
    digit: 0..9.   n: how many images.
    z: n points from N(0, I), drawn with np.random.default_rng(seed).standard_normal,
       so the same seed gives the same z (and the same styles) whatever the digit.
    Returns a numpy array (n, 28, 28): the decoder's images for [z, one-hot(digit)].

    Hint: np.eye(NUM_CLASSES)[[digit] * n] is n one-hot rows; np.concatenate(..., axis=1)
    puts z first and the label after it, as the decoder expects.
    """
    ### BEGIN SOLUTION
    z = np.random.default_rng().standard_normal((n, latent_dim)).astype("float32")
    labels = np.zeros((n, NUM_CLASSES), dtype="float32")
    labels[:, digit] = 1.0
    images = decoder.predict(np.concatenate([z, labels], axis=1), verbose=0)
    return np.asarray(images).reshape(n, 28, 28)
    ### END SOLUTION''',
    ],
    'blend_labels': [
        r'''# Exercise: blend_labels
# Planted bug: the weights are not scaled to sum to 1
def blend_labels(weights):
    """A label vector that mixes several digits.

    weights: dict digit -> weight (non-negative), e.g. {3: 0.5, 8: 0.5} or {3: 1, 8: 3}.
    Returns a float32 array of shape (10,): weight of digit d at position d, 0 elsewhere,
    scaled so that the vector sums to 1 ({3: 1, 8: 3} gives 0.25 at 3 and 0.75 at 8).
    """
    ### BEGIN SOLUTION
    label = np.zeros(NUM_CLASSES, dtype="float32")
    for digit, weight in weights.items():
        label[digit] += weight
    return label
    ### END SOLUTION''',
        r'''# Exercise: blend_labels
# Planted bug: divides by the number of digits instead of the sum of the weights
def blend_labels(weights):
    """A label vector that mixes several digits.

    weights: dict digit -> weight (non-negative), e.g. {3: 0.5, 8: 0.5} or {3: 1, 8: 3}.
    Returns a float32 array of shape (10,): weight of digit d at position d, 0 elsewhere,
    scaled so that the vector sums to 1 ({3: 1, 8: 3} gives 0.25 at 3 and 0.75 at 8).
    """
    ### BEGIN SOLUTION
    label = np.zeros(NUM_CLASSES, dtype="float32")
    for digit, weight in weights.items():
        label[digit] += weight
    return label / len(weights)
    ### END SOLUTION''',
    ],
}
