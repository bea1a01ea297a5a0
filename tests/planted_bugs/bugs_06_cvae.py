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
}
