"""Planted bugs for lesson 02_autoencoder: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

# build_small_autoencoder's master: everything between the input and the decoder's model (the bugs that replace the design).
THE_LESSONS_DESIGN = (
    '    x = images\n    for channels in (16, 32, 32):  # 32x32 -> 16x16 -> 8x8 -> 4x4: the network learns how to halve\n'
    '        x = layers.Conv2D(channels, 3, strides=2, padding="same", activation="relu")(x)\n'
    '    code = layers.Conv2D(2, 1)(x)  # 4x4x2 = 32 numbers, no activation: a code, not a feature map\n'
    '    encoder = keras.Model(images, code, name="small_encoder")\n\n'
    '    code_input = keras.Input(shape=(4, 4, 2))\n'
    '    x = layers.Conv2D(32, 3, padding="same", activation="relu")(code_input)\n'
    '    for channels in (32, 16, 8):  # 4x4 -> 32x32; a kernel of 4 with stride 2 covers each pixel evenly\n'
    '        x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="relu")(x)\n'
    '    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)\n')

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
    'build_small_autoencoder': [
        # First: the one graded by default (tests/test_grader.py grades the first bug of a training exercise).
        ('the dense design handed in: within every rule, and exactly the yardstick it must beat', [
            (THE_LESSONS_DESIGN,
             '    encoder = keras.Model(images, layers.Dense(32)(layers.Flatten()(images)), name="small_encoder")\n'
             '    code_input = keras.Input(shape=(32,))\n'
             '    pixels = layers.Reshape((32, 32, 1))(layers.Dense(1024, activation="sigmoid")(code_input))\n'),
        ]),
        ('a code of 64 numbers: 4x4x4 at the waist', [
            ('    code = layers.Conv2D(2, 1)(x)', '    code = layers.Conv2D(4, 1)(x)'),
            ('    code_input = keras.Input(shape=(4, 4, 2))\n', '    code_input = keras.Input(shape=(4, 4, 4))\n'),
        ]),
        ("no waist: the encoder's last feature map, 4x4x32 = 512 numbers, is the code", [
            ('    code = layers.Conv2D(2, 1)(x)', '    code = x'),
            ('    code_input = keras.Input(shape=(4, 4, 2))\n', '    code_input = keras.Input(shape=(4, 4, 32))\n'),
        ]),
        ('a ReLU on the output: values above 1', [
            ('    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)\n',
             '    pixels = layers.Conv2D(1, 3, padding="same", activation="relu")(x)\n'),
        ]),
        ('no activation on the output: values below 0 and above 1', [
            ('    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)\n',
             '    pixels = layers.Conv2D(1, 3, padding="same")(x)\n'),
        ]),
        ("the decoder's last convolution with 'valid' padding: 28x28 images", [
            ('    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)\n',
             '    pixels = layers.Conv2D(1, 5, padding="valid", activation="sigmoid")(x)\n'),
        ]),
        ('cheat: the dense design with weights trained elsewhere set into it (a stand-in for them here): '
         'a grader that measured the returned models would see those weights', [
            (THE_LESSONS_DESIGN + '    decoder = keras.Model(code_input, pixels, name="small_decoder")\n',
             '    encoder = keras.Model(images, layers.Dense(32)(layers.Flatten()(images)), name="small_encoder")\n'
             '    code_input = keras.Input(shape=(32,))\n'
             '    pixels = layers.Reshape((32, 32, 1))(layers.Dense(1024, activation="sigmoid")(code_input))\n'
             '    decoder = keras.Model(code_input, pixels, name="small_decoder")\n'
             '    trained_elsewhere = np.cos(np.pi * np.outer(np.arange(1024) + 0.5, np.arange(32)) / 1024).astype("float32")\n'
             '    encoder.set_weights([trained_elsewhere / 16, np.zeros(32, "float32")])\n'
             '    decoder.set_weights([trained_elsewhere.T * 4, np.full(1024, -2.5, "float32")])\n'),
        ]),
        ('cheat: what was learned elsewhere written into the layers (an initializer holding 1,024 numbers)', [
            ('    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)\n',
             '    x = layers.Flatten()(layers.Conv2D(1, 3, padding="same")(x))\n'
             '    prior = np.linspace(-4.0, -1.0, 1024).astype("float32")  # the logits of an average cat, learned elsewhere\n'
             '    x = layers.Dense(1, use_bias=False)(x)\n'
             '    x = layers.Dense(1024, activation="sigmoid", bias_initializer=keras.initializers.Constant(prior))(x)\n'
             '    pixels = layers.Reshape((32, 32, 1))(x)\n'),
        ]),
    ],
}
