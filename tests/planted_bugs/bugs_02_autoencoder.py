"""Planted bugs for lesson 02_autoencoder: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'build_autoencoder': [
        ('UpSampling2D before the Conv2D in each decoder block (same weights, shapes and layer counts)', [
            ('        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)\n        x = layers.UpSampling2D(2)(x)\n',
             '        x = layers.UpSampling2D(2)(x)\n        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)\n'),
        ]),
        ('no Concatenate: only the 3x3 branch reaches the pooling', [
            ('        x = layers.MaxPooling2D(2)(layers.Concatenate()([left, right]))\n',
             '        x = layers.MaxPooling2D(2)(left)\n'),
        ]),
        ('wrong bottleneck size: Dense(latent_dim) at every position gives 2x2x128 = 512 numbers', [
            ('    x = layers.Dense(latent_dim // positions, name="latent")(x)\n',
             '    x = layers.Dense(latent_dim, name="latent")(x)\n'),
        ]),
        ("the decoder's filters in the encoder's order (4, 8, 16, 32 instead of 32, 16, 8, 4)", [
            ('    for channels in (32, 16, 8, 4):\n',
             '    for channels in (4, 8, 16, 32):\n'),
        ]),
        ('a ReLU instead of a sigmoid on the output: values leave [0, 1]', [
            ('    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)\n',
             '    outputs = layers.Conv2D(1, 3, activation="relu", padding="same")(x)\n'),
        ]),
        ('a Dropout after the waist: every prediction is the book\'s, training is not', [
            ('    x = layers.Dense(latent_dim // positions, name="latent")(x)\n',
             '    x = layers.Dense(latent_dim // positions, name="latent")(x)\n    x = layers.Dropout(0.2)(x)\n'),
        ]),
        ('input_shape ignored: always 32x32 inputs', [
            ('    inputs = keras.Input(shape=input_shape)\n',
             '    inputs = keras.Input(shape=(32, 32, 1))\n'),
        ]),
        ('latent_dim ignored: 128 numbers in the waist whatever is asked', [
            ('layers.Dense(latent_dim // positions, name="latent")',
             'layers.Dense(128 // positions, name="latent")'),
        ]),
    ],
    'extract_encoder': [
        ('the latent map is not flattened: (batch, 2, 2, 32) instead of (batch, 128)', [
            ('    return keras.Model(autoencoder.input, layers.Flatten()(latent), name="encoder")\n',
             '    return keras.Model(autoencoder.input, latent, name="encoder")\n'),
        ]),
        ('a fresh, untrained network instead of the given one', [
            ('    latent = autoencoder.get_layer("latent").output\n    return keras.Model(autoencoder.input, layers.Flatten()(latent), name="encoder")\n',
             '    fresh = build_autoencoder()\n    latent = fresh.get_layer("latent").output\n    return keras.Model(fresh.input, layers.Flatten()(latent), name="encoder")\n'),
        ]),
        ('a Dropout on the codes: the same codes when predicting, not while training', [
            ('layers.Flatten()(latent), name="encoder")',
             'layers.Dropout(0.3)(layers.Flatten()(latent)), name="encoder")'),
        ]),
        ('the layer before the waist (the 2x2x64 pooled map, 256 numbers)', [
            ('    latent = autoencoder.get_layer("latent").output\n',
             '    latent = autoencoder.layers[autoencoder.layers.index(autoencoder.get_layer("latent")) - 1].output\n'),
        ]),
    ],
}
