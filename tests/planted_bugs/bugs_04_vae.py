"""Planted bugs for lesson 04_vae: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'sampling': [
        ('exp(z_log_var) instead of exp(z_log_var / 2): scales by the variance, not the standard deviation', [
            ('        return z_mean + ops.exp(0.5 * z_log_var) * epsilon\n',
             '        return z_mean + ops.exp(z_log_var) * epsilon\n'),
        ]),
        ("a fixed integer seed instead of the layer's SeedGenerator: every call draws the same noise", [
            ('        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)\n',
             '        epsilon = keras.random.normal(ops.shape(z_mean), seed=0)\n'),
        ]),
        ('the square root of z_log_var, taken for the variance: NaN for every negative log variance', [
            ('        return z_mean + ops.exp(0.5 * z_log_var) * epsilon\n',
             '        return z_mean + ops.sqrt(z_log_var) * epsilon\n'),
        ]),
        ('the seed argument is ignored: layers made with the same seed draw different noise', [
            ('keras.random.SeedGenerator(seed)', 'keras.random.SeedGenerator()'),
        ]),
    ],
    'kl_divergence': [
        ('the sign of the KL term is flipped', [
            ('    return 0.5 * ops.sum(per_dimension, axis=-1)\n',
             '    return -0.5 * ops.sum(per_dimension, axis=-1)\n'),
        ]),
        ('mean instead of sum over the latent dimensions', [
            ('    return 0.5 * ops.sum(per_dimension, axis=-1)\n',
             '    return 0.5 * ops.mean(per_dimension, axis=-1)\n'),
        ]),
        ('sums over the whole batch: one scalar instead of one value per sample', [
            ('    return 0.5 * ops.sum(per_dimension, axis=-1)\n',
             '    return 0.5 * ops.sum(per_dimension)\n'),
        ]),
        ('z_log_var read as the variance: log of it, infinite at the prior and NaN below 0', [
            ('    per_dimension = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var\n',
             '    per_dimension = z_log_var + ops.square(z_mean) - 1.0 - ops.log(z_log_var)\n'),
        ]),
    ],
    'reconstruction_loss': [
        ('mean instead of sum over the 784 pixels', [
            ('    return ops.sum(ops.reshape(per_pixel, (-1, NUM_PIXELS)), axis=-1)\n',
             '    return ops.mean(ops.reshape(per_pixel, (-1, NUM_PIXELS)), axis=-1)\n'),
        ]),
        ('target and prediction swapped in the cross-entropy', [
            ('    per_pixel = ops.binary_crossentropy(x, x_decoded)\n',
             '    per_pixel = ops.binary_crossentropy(x_decoded, x)\n'),
        ]),
        ('the cross-entropy written out without clipping: 0 * log(0) is NaN on a sure prediction', [
            ('    per_pixel = ops.binary_crossentropy(x, x_decoded)\n',
             '    per_pixel = -(x * ops.log(x_decoded) + (1.0 - x) * ops.log(1.0 - x_decoded))\n'),
        ]),
    ],
    'build_encoder': [
        ('a relu on the z_log_var head: the log variance can never be negative', [
            ('    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)\n',
             '    z_log_var = layers.Dense(latent_dim, activation="relu", name="z_log_var")(hidden)\n'),
        ]),
        ("256 hidden units instead of the book's 512", [
            ('    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="encoder_hidden")(hidden)\n',
             '    hidden = layers.Dense(256, activation="relu", name="encoder_hidden")(hidden)\n'),
        ]),
        ('a Dropout after the hidden layer: every prediction is the book\'s, training is not', [
            ('    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="encoder_hidden")(hidden)\n',
             '    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="encoder_hidden")(hidden)\n'
             '    hidden = layers.Dropout(0.2)(hidden)\n'),
        ]),
        ('latent_dim ignored: both heads have LATENT_DIM units', [
            ('layers.Dense(latent_dim, name="z_mean")', 'layers.Dense(LATENT_DIM, name="z_mean")'),
            ('layers.Dense(latent_dim, name="z_log_var")', 'layers.Dense(LATENT_DIM, name="z_log_var")'),
        ]),
    ],
    'build_decoder': [
        ('the hidden Dense has no activation: the decoder is linear up to its sigmoid', [
            ('layers.Dense(HIDDEN_UNITS, activation="relu", name="decoder_hidden")',
             'layers.Dense(HIDDEN_UNITS, name="decoder_hidden")'),
        ]),
        ('no sigmoid on the output: the pixels are not probabilities', [
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)\n',
             '    pixels = layers.Dense(NUM_PIXELS, name="pixels")(hidden)\n'),
        ]),
        ("128 hidden units instead of the book's 512", [
            ('    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", name="decoder_hidden")(z)\n',
             '    hidden = layers.Dense(128, activation="relu", name="decoder_hidden")(z)\n'),
        ]),
        ('a Dropout before the output layer: every prediction is the book\'s, training is not', [
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)\n',
             '    hidden = layers.Dropout(0.2)(hidden)\n'
             '    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)\n'),
        ]),
        ('latent_dim ignored: the input always has LATENT_DIM numbers', [
            ('keras.Input(shape=(latent_dim,), name="z")', 'keras.Input(shape=(LATENT_DIM,), name="z")'),
        ]),
    ],
    'vae': [
        ('call returns the sampled z in the z_mean slot: the KL is then taken at z', [
            ('        return z_mean, z_log_var, self.decoder(z)\n',
             '        return z, z_log_var, self.decoder(z)\n'),
        ]),
        ('the KL term is left out of the loss (it is still tracked)', [
            ('        return ops.mean(kl + reconstruction_part)\n',
             '        return ops.mean(reconstruction_part)\n'),
        ]),
        ('decodes z_mean instead of the sampled z', [
            ('        return z_mean, z_log_var, self.decoder(z)\n',
             '        return z_mean, z_log_var, self.decoder(z_mean)\n'),
        ]),
        ('sums the loss over the batch instead of averaging it', [
            ('        return ops.mean(kl + reconstruction_part)\n',
             '        return ops.sum(kl + reconstruction_part)\n'),
        ]),
        # Replayed weights: the class passes whatever the grader trains because it never really trains.
        ('replayed weights: __init__ loads weights made elsewhere (embedded in the cell) into the encoder and decoder', [
            ('        self.decoder = decoder\n',
             '        self.decoder = decoder\n'
             '        pasted = np.random.default_rng(2024)  # stands in for weights trained elsewhere, pasted into the cell\n'
             '        for model in (encoder, decoder):\n'
             '            model.set_weights([pasted.normal(0.0, 0.05, w.shape).astype("float32") for w in model.get_weights()])\n'),
        ]),
        ('replayed weights: compute_loss is right, but train_step puts weights made elsewhere back into the decoder', [
            ('    def compute_loss(',
             '    def train_step(self, data):\n'
             '        logs = super().train_step(data)\n'
             '        pasted = np.random.default_rng(2024)  # stands in for weights trained elsewhere, pasted into the cell\n'
             '        self.decoder.set_weights([pasted.normal(0.0, 0.05, w.shape).astype("float32")\n'
             '                                  for w in self.decoder.get_weights()])\n'
             '        return logs\n'
             '\n'
             '    def compute_loss('),
        ]),
        # Training-only behaviour: the same model predicts like the book's, but trains otherwise.
        # (Keras gives fit's training=True only to a call that takes a `training` argument.)
        ('training only: Dropout on z, active during fit (call takes training and passes it on)', [
            ('        self.decoder = decoder\n',
             '        self.decoder = decoder\n        self.dropout = layers.Dropout(0.2)\n'),
            ('    def call(self, images):\n',
             '    def call(self, images, training=None):\n'),
            ('        return z_mean, z_log_var, self.decoder(z)\n',
             '        return z_mean, z_log_var, self.decoder(self.dropout(z, training=training))\n'),
        ]),
        ('training only: z batch-normalised before decoding (batch statistics during fit)', [
            ('        self.decoder = decoder\n',
             '        self.decoder = decoder\n        self.norm = layers.BatchNormalization()\n'),
            ('    def call(self, images):\n',
             '    def call(self, images, training=None):\n'),
            ('        return z_mean, z_log_var, self.decoder(z)\n',
             '        return z_mean, z_log_var, self.decoder(self.norm(z))\n'),
        ]),
    ],
    'active_dimensions': [
        ("the size of the mean (mean of |z_mean|) instead of its spread: a dimension collapsed at 1.5 counts as used", [
            ('    signal = z_mean.var(axis=0)', '    signal = np.abs(z_mean).mean(axis=0)'),
        ]),
        ("z_log_var alone, the wrong way round: a wide posterior (sigma near 1) read as a dimension in use", [
            ('    return nats > 0.05', '    return np.mean(z_log_var, axis=0) > -0.5'),
        ]),
        ("the statistics taken over the dimensions (axis 1) instead of over the images: one value per image", [
            ('z_mean.var(axis=0)', 'z_mean.var(axis=1)'),
            ('dtype="float64")).mean(axis=0)', 'dtype="float64")).mean(axis=1)'),
        ]),
        ("the cheat: every dimension said to be in use, whatever the encoder did", [
            ('    return nats > 0.05', '    return np.ones(np.shape(z_mean)[1], dtype=bool)'),
        ]),
        ("a threshold relative to the other dimensions (a tenth of the largest): wrong when none is in use", [
            ('    return nats > 0.05', '    return nats > 0.1 * nats.max()'),
        ]),
    ],
}
