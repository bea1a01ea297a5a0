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
    ],
}
