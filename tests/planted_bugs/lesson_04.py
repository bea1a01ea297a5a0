"""Planted bugs for lesson 04_vae: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'sampling': [
        r'''# Exercise: sampling
# Planted bug: exp(z_log_var) instead of exp(z_log_var / 2): scales by the variance, not the standard deviation
class Sampling(layers.Layer):
    """Draw z ~ N(z_mean, exp(z_log_var)) with the reparameterisation trick.

    call([z_mean, z_log_var]): both of shape (batch, latent_dim).
    Returns z, shape (batch, latent_dim): z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, I).

    Hint: keras.random.normal(shape, seed=self.seed_generator) draws eps;
    ops.shape(z_mean) is the shape, whatever the batch size.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        # The random state lives in the layer: fresh noise at every call, reproducible from `seed`.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        ### BEGIN SOLUTION
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(z_log_var) * epsilon
        ### END SOLUTION''',
        r'''# Exercise: sampling
# Planted bug: a fixed integer seed instead of the layer's SeedGenerator: every call draws the same noise
class Sampling(layers.Layer):
    """Draw z ~ N(z_mean, exp(z_log_var)) with the reparameterisation trick.

    call([z_mean, z_log_var]): both of shape (batch, latent_dim).
    Returns z, shape (batch, latent_dim): z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, I).

    Hint: keras.random.normal(shape, seed=self.seed_generator) draws eps;
    ops.shape(z_mean) is the shape, whatever the batch size.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        # The random state lives in the layer: fresh noise at every call, reproducible from `seed`.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        ### BEGIN SOLUTION
        epsilon = keras.random.normal(ops.shape(z_mean), seed=0)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon
        ### END SOLUTION''',
    ],
    'kl_divergence': [
        r'''# Exercise: kl_divergence
# Planted bug: the sign of the KL term is flipped
def kl_divergence(z_mean, z_log_var):
    """KL( N(z_mean, exp(z_log_var)) || N(0, I) ) of each sample, in nats.

    z_mean, z_log_var: (batch, latent_dim) tensors or arrays.
    Returns a tensor of shape (batch,): the closed form above, summed over the latent dimensions.

    Hint: ops.exp, ops.square and ops.sum(..., axis=-1).
    """
    ### BEGIN SOLUTION
    per_dimension = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var
    return -0.5 * ops.sum(per_dimension, axis=-1)
    ### END SOLUTION''',
        r'''# Exercise: kl_divergence
# Planted bug: mean instead of sum over the latent dimensions
def kl_divergence(z_mean, z_log_var):
    """KL( N(z_mean, exp(z_log_var)) || N(0, I) ) of each sample, in nats.

    z_mean, z_log_var: (batch, latent_dim) tensors or arrays.
    Returns a tensor of shape (batch,): the closed form above, summed over the latent dimensions.

    Hint: ops.exp, ops.square and ops.sum(..., axis=-1).
    """
    ### BEGIN SOLUTION
    per_dimension = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var
    return 0.5 * ops.mean(per_dimension, axis=-1)
    ### END SOLUTION''',
        r'''# Exercise: kl_divergence
# Planted bug: sums over the whole batch: one scalar instead of one value per sample
def kl_divergence(z_mean, z_log_var):
    """KL( N(z_mean, exp(z_log_var)) || N(0, I) ) of each sample, in nats.

    z_mean, z_log_var: (batch, latent_dim) tensors or arrays.
    Returns a tensor of shape (batch,): the closed form above, summed over the latent dimensions.

    Hint: ops.exp, ops.square and ops.sum(..., axis=-1).
    """
    ### BEGIN SOLUTION
    per_dimension = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var
    return 0.5 * ops.sum(per_dimension)
    ### END SOLUTION''',
    ],
    'reconstruction_loss': [
        r'''# Exercise: reconstruction_loss
# Planted bug: mean instead of sum over the 784 pixels
def reconstruction_loss(x, x_decoded):
    """Binary cross-entropy of each image, summed over its pixels, in nats.

    x:         (batch, 28, 28) the true grey levels in [0, 1] (the targets).
    x_decoded: (batch, 28, 28) the decoder's pixel probabilities in (0, 1).
    Returns a tensor of shape (batch,). A decoder that says 0.5 everywhere scores 784 ln 2 = 543.4.

    Hint: ops.binary_crossentropy(target, output) works pixel by pixel (no averaging, and it
    clips the probabilities so that log(0) never happens). Flatten each image to NUM_PIXELS numbers
    with ops.reshape, then sum.
    """
    ### BEGIN SOLUTION
    per_pixel = ops.binary_crossentropy(x, x_decoded)
    return ops.mean(ops.reshape(per_pixel, (-1, NUM_PIXELS)), axis=-1)
    ### END SOLUTION''',
        r'''# Exercise: reconstruction_loss
# Planted bug: target and prediction swapped in the cross-entropy
def reconstruction_loss(x, x_decoded):
    """Binary cross-entropy of each image, summed over its pixels, in nats.

    x:         (batch, 28, 28) the true grey levels in [0, 1] (the targets).
    x_decoded: (batch, 28, 28) the decoder's pixel probabilities in (0, 1).
    Returns a tensor of shape (batch,). A decoder that says 0.5 everywhere scores 784 ln 2 = 543.4.

    Hint: ops.binary_crossentropy(target, output) works pixel by pixel (no averaging, and it
    clips the probabilities so that log(0) never happens). Flatten each image to NUM_PIXELS numbers
    with ops.reshape, then sum.
    """
    ### BEGIN SOLUTION
    per_pixel = ops.binary_crossentropy(x_decoded, x)
    return ops.sum(ops.reshape(per_pixel, (-1, NUM_PIXELS)), axis=-1)
    ### END SOLUTION''',
    ],
    'build_encoder': [
        r'''# Exercise: build_encoder
# Planted bug: a relu on the z_log_var head: the log variance can never be negative
def build_encoder(latent_dim=LATENT_DIM):
    """The encoder: images (batch, 28, 28) -> [z_mean, z_log_var, z], each (batch, latent_dim).

    Layers: Input(IMAGE_SHAPE) -> Flatten -> Dense(HIDDEN_UNITS, relu)
            -> two linear Dense(latent_dim) heads, named "z_mean" and "z_log_var"
            -> Sampling, named "z".
    Returns keras.Model(inputs, [z_mean, z_log_var, z], name="encoder").
    """
    ### BEGIN SOLUTION
    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    hidden = layers.Flatten()(images)
    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="encoder_hidden")(hidden)
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, activation="relu", name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(images, [z_mean, z_log_var, z], name="encoder")
    ### END SOLUTION''',
        r'''# Exercise: build_encoder
# Planted bug: 256 hidden units instead of the book's 512
def build_encoder(latent_dim=LATENT_DIM):
    """The encoder: images (batch, 28, 28) -> [z_mean, z_log_var, z], each (batch, latent_dim).

    Layers: Input(IMAGE_SHAPE) -> Flatten -> Dense(HIDDEN_UNITS, relu)
            -> two linear Dense(latent_dim) heads, named "z_mean" and "z_log_var"
            -> Sampling, named "z".
    Returns keras.Model(inputs, [z_mean, z_log_var, z], name="encoder").
    """
    ### BEGIN SOLUTION
    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    hidden = layers.Flatten()(images)
    hidden = layers.Dense(256, activation="relu", name="encoder_hidden")(hidden)
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(images, [z_mean, z_log_var, z], name="encoder")
    ### END SOLUTION''',
    ],
    'build_decoder': [
        r'''# Exercise: build_decoder
# Planted bug: no sigmoid on the output: the pixels are not probabilities
def build_decoder(latent_dim=LATENT_DIM):
    """The decoder: latent points (batch, latent_dim) -> pixel probabilities (batch, 28, 28).

    Layers: Input((latent_dim,)) -> Dense(HIDDEN_UNITS, relu) -> Dense(NUM_PIXELS, sigmoid)
            -> Reshape(IMAGE_SHAPE).
    Returns keras.Model(inputs, outputs, name="decoder").
    """
    ### BEGIN SOLUTION
    z = keras.Input(shape=(latent_dim,), name="z")
    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="decoder_hidden")(z)
    pixels = layers.Dense(NUM_PIXELS, name="pixels")(hidden)
    return keras.Model(z, layers.Reshape(IMAGE_SHAPE)(pixels), name="decoder")
    ### END SOLUTION''',
        r'''# Exercise: build_decoder
# Planted bug: 128 hidden units instead of the book's 512
def build_decoder(latent_dim=LATENT_DIM):
    """The decoder: latent points (batch, latent_dim) -> pixel probabilities (batch, 28, 28).

    Layers: Input((latent_dim,)) -> Dense(HIDDEN_UNITS, relu) -> Dense(NUM_PIXELS, sigmoid)
            -> Reshape(IMAGE_SHAPE).
    Returns keras.Model(inputs, outputs, name="decoder").
    """
    ### BEGIN SOLUTION
    z = keras.Input(shape=(latent_dim,), name="z")
    hidden = layers.Dense(128, activation="relu", name="decoder_hidden")(z)
    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)
    return keras.Model(z, layers.Reshape(IMAGE_SHAPE)(pixels), name="decoder")
    ### END SOLUTION''',
    ],
    'vae': [
        r'''# Exercise: vae
# Planted bug: the KL term is left out of the loss (it is still tracked)
class VAE(keras.Model):
    """Encoder + decoder, trained on loss = KL + reconstruction (per image, in nats).

    call(images) -> (z_mean, z_log_var, reconstruction): the encoder's outputs, and the decoder's
        image (batch, 28, 28) decoded from the *sampled* z.
    compute_loss(x, y, y_pred, ...) -> a scalar: the batch mean of
        kl_divergence + reconstruction_loss, where x are the input images and y_pred is the
        output of call. It also updates self.kl_loss_tracker and self.reconstruction_loss_tracker
        with the per-image values.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        # Keras tracks the total as "loss"; these two report its parts during fit and evaluate.
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, images):
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder(images)
        return z_mean, z_log_var, self.decoder(z)
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(x, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(reconstruction_part)
        ### END SOLUTION''',
        r'''# Exercise: vae
# Planted bug: decodes z_mean instead of the sampled z
class VAE(keras.Model):
    """Encoder + decoder, trained on loss = KL + reconstruction (per image, in nats).

    call(images) -> (z_mean, z_log_var, reconstruction): the encoder's outputs, and the decoder's
        image (batch, 28, 28) decoded from the *sampled* z.
    compute_loss(x, y, y_pred, ...) -> a scalar: the batch mean of
        kl_divergence + reconstruction_loss, where x are the input images and y_pred is the
        output of call. It also updates self.kl_loss_tracker and self.reconstruction_loss_tracker
        with the per-image values.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        # Keras tracks the total as "loss"; these two report its parts during fit and evaluate.
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, images):
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder(images)
        return z_mean, z_log_var, self.decoder(z_mean)
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(x, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.mean(kl + reconstruction_part)
        ### END SOLUTION''',
        r'''# Exercise: vae
# Planted bug: sums the loss over the batch instead of averaging it
class VAE(keras.Model):
    """Encoder + decoder, trained on loss = KL + reconstruction (per image, in nats).

    call(images) -> (z_mean, z_log_var, reconstruction): the encoder's outputs, and the decoder's
        image (batch, 28, 28) decoded from the *sampled* z.
    compute_loss(x, y, y_pred, ...) -> a scalar: the batch mean of
        kl_divergence + reconstruction_loss, where x are the input images and y_pred is the
        output of call. It also updates self.kl_loss_tracker and self.reconstruction_loss_tracker
        with the per-image values.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        # Keras tracks the total as "loss"; these two report its parts during fit and evaluate.
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    def call(self, images):
        ### BEGIN SOLUTION
        z_mean, z_log_var, z = self.encoder(images)
        return z_mean, z_log_var, self.decoder(z)
        ### END SOLUTION

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var, reconstruction = y_pred
        ### BEGIN SOLUTION
        kl = kl_divergence(z_mean, z_log_var)
        reconstruction_part = reconstruction_loss(x, reconstruction)
        self.kl_loss_tracker.update_state(kl)
        self.reconstruction_loss_tracker.update_state(reconstruction_part)
        return ops.sum(kl + reconstruction_part)
        ### END SOLUTION''',
    ],
}
