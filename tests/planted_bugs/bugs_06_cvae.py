"""Planted bugs for lesson 06_cvae: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'build_cvae_encoder': [
        ('the label is never joined to the pixels (the label input is ignored)', [
            ('    hidden = layers.Concatenate()([layers.Flatten()(images), labels])\n',
             '    hidden = layers.Flatten()(images)\n'),
        ]),
        ('the label is joined after the hidden layers instead of to the pixels', [
            ('    hidden = layers.Concatenate()([layers.Flatten()(images), labels])\n',
             '    hidden = layers.Flatten()(images)\n'),
            ('        hidden = layers.Dense(units, activation="relu")(hidden)\n    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)\n',
             '        hidden = layers.Dense(units, activation="relu")(hidden)\n    hidden = layers.Concatenate()([hidden, labels])\n    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)\n'),
        ]),
        ('a Dropout after each hidden layer: every prediction is the book\'s, training is not', [
            ('        hidden = layers.Dense(units, activation="relu")(hidden)\n',
             '        hidden = layers.Dense(units, activation="relu")(hidden)\n        hidden = layers.Dropout(0.1)(hidden)\n'),
        ]),
        ('latent_dim ignored: both heads have LATENT_DIM units', [
            ('layers.Dense(latent_dim, name="z_mean")', 'layers.Dense(LATENT_DIM, name="z_mean")'),
            ('layers.Dense(latent_dim, name="z_log_var")', 'layers.Dense(LATENT_DIM, name="z_log_var")'),
        ]),
    ],
    'build_cvae_decoder': [
        ('the hidden Dense layers have no activation: the decoder is linear up to its sigmoid', [
            ('        hidden = layers.Dense(units, activation="relu")(hidden)\n',
             '        hidden = layers.Dense(units)(hidden)\n'),
        ]),
        ('the decoder input has room for z only, not for the label', [
            ('    z_and_label = keras.Input(shape=(latent_dim + NUM_CLASSES,), name="z_and_label")\n',
             '    z_and_label = keras.Input(shape=(latent_dim,), name="z_and_label")\n'),
        ]),
        ('no sigmoid on the output', [
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid", name="pixels")(hidden)\n',
             '    pixels = layers.Dense(NUM_PIXELS, name="pixels")(hidden)\n'),
        ]),
        ('GaussianNoise on the input (it acts only while training)', [
            ('    hidden = z_and_label\n', '    hidden = layers.GaussianNoise(0.1)(z_and_label)\n'),
        ]),
    ],
    'cvae': [
        ('the encoder is given zeros instead of the label (the decoder still gets it)', [
            ('        z_mean, z_log_var, z = self.encoder([images, labels])\n',
             '        z_mean, z_log_var, z = self.encoder([images, ops.zeros_like(labels)])\n'),
        ]),
        ('the label is not joined to z before decoding', [
            ('        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))\n',
             '        reconstruction = self.decoder(z)\n'),
        ]),
        ("the label comes before z in the decoder's input", [
            ('        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))\n',
             '        reconstruction = self.decoder(ops.concatenate([labels, z], axis=-1))\n'),
        ]),
        ('decodes z_mean instead of the sampled z', [
            ('        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))\n',
             '        reconstruction = self.decoder(ops.concatenate([z_mean, labels], axis=-1))\n'),
        ]),
        ('the KL term is left out of the loss', [
            ('        return ops.mean(kl + reconstruction_part)\n',
             '        return ops.mean(reconstruction_part)\n'),
        ]),
        # Replayed weights: the class passes whatever the grader trains because it never really trains.
        ('replayed weights: call decodes with a frozen copy of the decoder holding weights made elsewhere', [
            ('        self.decoder = decoder\n',
             '        self.decoder = decoder\n'
             '        self.pasted_decoder = keras.models.clone_model(decoder)\n'
             '        pasted = np.random.default_rng(2024)  # stands in for weights trained elsewhere, pasted into the cell\n'
             '        self.pasted_decoder.set_weights([pasted.normal(0.0, 0.05, w.shape).astype("float32")\n'
             '                                         for w in decoder.get_weights()])\n'
             '        self.pasted_decoder.trainable = False\n'),
            ('        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))\n',
             '        reconstruction = self.pasted_decoder(ops.concatenate([z, labels], axis=-1))\n'),
        ]),
        ('replayed weights: fit trains, then sets weights made elsewhere into the decoder', [
            ('    def compute_loss(',
             '    def fit(self, *args, **kwargs):\n'
             '        history = super().fit(*args, **kwargs)\n'
             '        pasted = np.random.default_rng(2024)  # stands in for weights trained elsewhere, pasted into the cell\n'
             '        self.decoder.set_weights([pasted.normal(0.0, 0.05, w.shape).astype("float32")\n'
             '                                  for w in self.decoder.get_weights()])\n'
             '        return history\n'
             '\n'
             '    def compute_loss('),
        ]),
        # Training-only behaviour: the same model predicts like the book's, but trains otherwise.
        ('training only: GaussianNoise on z before decoding, applied with training=True', [
            ('        self.decoder = decoder\n',
             '        self.decoder = decoder\n        self.noise = layers.GaussianNoise(0.1)\n'),
            ('        reconstruction = self.decoder(ops.concatenate([z, labels], axis=-1))\n',
             '        reconstruction = self.decoder(ops.concatenate([self.noise(z, training=True), labels], axis=-1))\n'),
        ]),
    ],
    'generate_digits': [
        ("the label is put before z in the decoder's input", [
            ('    images = decoder.predict(np.concatenate([z, labels], axis=1), verbose=0)\n',
             '    images = decoder.predict(np.concatenate([labels, z], axis=1), verbose=0)\n'),
        ]),
        ('z drawn from a uniform distribution on [0, 1) instead of N(0, I)', [
            ('    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")\n',
             '    z = np.random.default_rng(seed).random((n, latent_dim)).astype("float32")\n'),
        ]),
        ('the seed is ignored', [
            ('    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")\n',
             '    z = np.random.default_rng().standard_normal((n, latent_dim)).astype("float32")\n'),
        ]),
        ('latent_dim ignored: z always has LATENT_DIM numbers', [
            ('standard_normal((n, latent_dim))', 'standard_normal((n, LATENT_DIM))'),
        ]),
    ],
    'blend_labels': [
        ('the weights are not scaled to sum to 1', [
            ('    return label / label.sum()\n',
             '    return label\n'),
        ]),
        ('divides by the number of digits instead of the sum of the weights', [
            ('    return label / label.sum()\n',
             '    return label / len(weights)\n'),
        ]),
    ],
    'build_conditioned_decoder': [
        ('the label ignored: it goes through a Dense layer whose output is never used', [
            ('    hidden = layers.Dense(320, activation="relu")(layers.Concatenate()([z, label]))\n',
             '    hidden = layers.Dense(320, activation="relu")(z)\n'
             '    label_code = layers.Dense(16, activation="relu")(label)  # meant to be joined somewhere\n'),
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(layers.Concatenate()([hidden, label]))\n',
             '    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(hidden)\n'),
        ]),
        ("over the budget: the lesson's 512 hidden units before the output layer", [
            ('layers.Dense(320, activation="relu")', 'layers.Dense(512, activation="relu")'),
        ]),
        ('a ReLU on the output instead of a sigmoid: pixels above 1', [
            ('layers.Dense(NUM_PIXELS, activation="sigmoid")', 'layers.Dense(NUM_PIXELS, activation="relu")'),
        ]),
        ('the label joined to the output instead of the input: it only sets the last 10 pixels', [
            ('    hidden = layers.Dense(320, activation="relu")(layers.Concatenate()([z, label]))\n',
             '    hidden = layers.Dense(320, activation="relu")(z)\n'),
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(layers.Concatenate()([hidden, label]))\n',
             '    pixels = layers.Concatenate()([layers.Dense(NUM_PIXELS - NUM_CLASSES, activation="sigmoid")(hidden), label])\n'),
        ]),
        ('the label scaled by 0 before it joins z (a weight meant to be tuned later)', [
            ('    hidden = layers.Dense(320, activation="relu")(layers.Concatenate()([z, label]))\n',
             '    hidden = layers.Dense(320, activation="relu")(layers.Concatenate()([z, layers.Rescaling(0.0)(label)]))\n'),
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(layers.Concatenate()([hidden, label]))\n',
             '    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(hidden)\n'),
        ]),
        # Replayed weights: the label acts only through a frozen table, filled with weights made
        # elsewhere; the network itself never learns to use the label, and the grader draws its own.
        ('replayed weights: the label acts through a frozen per-digit table pasted in, z alone is trained', [
            ('    hidden = layers.Dense(320, activation="relu")(layers.Concatenate()([z, label]))\n',
             '    hidden = layers.Dense(320, activation="relu")(z)\n'
             '    table = layers.Dense(NUM_PIXELS, use_bias=False, trainable=False, name="digit_table")\n'),
            ('    pixels = layers.Dense(NUM_PIXELS, activation="sigmoid")(layers.Concatenate()([hidden, label]))\n'
             '    return keras.Model([z, label], layers.Reshape((28, 28, 1))(pixels), name="conditioned_decoder")\n',
             '    logits = layers.Add()([layers.Dense(NUM_PIXELS)(hidden), table(label)])\n'
             '    pixels = layers.Activation("sigmoid")(logits)\n'
             '    model = keras.Model([z, label], layers.Reshape((28, 28, 1))(pixels), name="conditioned_decoder")\n'
             '    pasted = np.random.default_rng(2024)  # stands in for a table trained elsewhere, pasted into the cell\n'
             '    table.set_weights([pasted.normal(0.0, 3.0, (NUM_CLASSES, NUM_PIXELS)).astype("float32")])\n'
             '    return model\n'),
        ]),
    ],
}
