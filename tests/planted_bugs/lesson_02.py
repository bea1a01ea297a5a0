"""Planted bugs for lesson 02_autoencoder: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'build_autoencoder': [
        r'''# Exercise: build_autoencoder
# Planted bug: no Concatenate: only the 3x3 branch reaches the pooling
def build_autoencoder(input_shape=(32, 32, 1), latent_dim=128):
    """The book's convolutional autoencoder (uncompiled).

    Encoder, 4 blocks with c = 4, 8, 16, 32 filters:
        left = Conv2D(c, 3, relu, same)(x); right = Conv2D(c, 2, relu, same)(x)
        x = MaxPooling2D(2)(Concatenate()([left, right]))        # (h/2, w/2, 2c)
    Waist: Dense(latent_dim // (h/16 * w/16), name="latent")   # (2, 2, 64) -> (2, 2, 32) for 32x32
    Decoder, 4 blocks with c = 32, 16, 8, 4 filters:
        x = UpSampling2D(2)(Conv2D(c, 3, relu, same)(x))
    Output: Conv2D(1, 3, sigmoid, same)

    Args:
        input_shape: (height, width, 1), height and width divisible by 16.
        latent_dim: size of the code; the "latent" layer outputs latent_dim numbers per image.
    Returns:
        keras.Model mapping (batch, *input_shape) -> (batch, *input_shape), values in (0, 1).
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for channels in (4, 8, 16, 32):
        left = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        right = layers.Conv2D(channels, 2, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2)(left)
    positions = x.shape[1] * x.shape[2]
    x = layers.Dense(latent_dim // positions, name="latent")(x)
    for channels in (32, 16, 8, 4):
        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="autoencoder")''',
        r'''# Exercise: build_autoencoder
# Planted bug: wrong bottleneck size: Dense(latent_dim) at every position gives 2x2x128 = 512 numbers
def build_autoencoder(input_shape=(32, 32, 1), latent_dim=128):
    """The book's convolutional autoencoder (uncompiled).

    Encoder, 4 blocks with c = 4, 8, 16, 32 filters:
        left = Conv2D(c, 3, relu, same)(x); right = Conv2D(c, 2, relu, same)(x)
        x = MaxPooling2D(2)(Concatenate()([left, right]))        # (h/2, w/2, 2c)
    Waist: Dense(latent_dim // (h/16 * w/16), name="latent")   # (2, 2, 64) -> (2, 2, 32) for 32x32
    Decoder, 4 blocks with c = 32, 16, 8, 4 filters:
        x = UpSampling2D(2)(Conv2D(c, 3, relu, same)(x))
    Output: Conv2D(1, 3, sigmoid, same)

    Args:
        input_shape: (height, width, 1), height and width divisible by 16.
        latent_dim: size of the code; the "latent" layer outputs latent_dim numbers per image.
    Returns:
        keras.Model mapping (batch, *input_shape) -> (batch, *input_shape), values in (0, 1).
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for channels in (4, 8, 16, 32):
        left = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        right = layers.Conv2D(channels, 2, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2)(layers.Concatenate()([left, right]))
    positions = x.shape[1] * x.shape[2]
    x = layers.Dense(latent_dim, name="latent")(x)
    for channels in (32, 16, 8, 4):
        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="autoencoder")''',
        r'''# Exercise: build_autoencoder
# Planted bug: the decoder's filters in the encoder's order (4, 8, 16, 32 instead of 32, 16, 8, 4)
def build_autoencoder(input_shape=(32, 32, 1), latent_dim=128):
    """The book's convolutional autoencoder (uncompiled).

    Encoder, 4 blocks with c = 4, 8, 16, 32 filters:
        left = Conv2D(c, 3, relu, same)(x); right = Conv2D(c, 2, relu, same)(x)
        x = MaxPooling2D(2)(Concatenate()([left, right]))        # (h/2, w/2, 2c)
    Waist: Dense(latent_dim // (h/16 * w/16), name="latent")   # (2, 2, 64) -> (2, 2, 32) for 32x32
    Decoder, 4 blocks with c = 32, 16, 8, 4 filters:
        x = UpSampling2D(2)(Conv2D(c, 3, relu, same)(x))
    Output: Conv2D(1, 3, sigmoid, same)

    Args:
        input_shape: (height, width, 1), height and width divisible by 16.
        latent_dim: size of the code; the "latent" layer outputs latent_dim numbers per image.
    Returns:
        keras.Model mapping (batch, *input_shape) -> (batch, *input_shape), values in (0, 1).
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for channels in (4, 8, 16, 32):
        left = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        right = layers.Conv2D(channels, 2, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2)(layers.Concatenate()([left, right]))
    positions = x.shape[1] * x.shape[2]
    x = layers.Dense(latent_dim // positions, name="latent")(x)
    for channels in (4, 8, 16, 32):
        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="autoencoder")''',
        r'''# Exercise: build_autoencoder
# Planted bug: a ReLU instead of a sigmoid on the output: values leave [0, 1]
def build_autoencoder(input_shape=(32, 32, 1), latent_dim=128):
    """The book's convolutional autoencoder (uncompiled).

    Encoder, 4 blocks with c = 4, 8, 16, 32 filters:
        left = Conv2D(c, 3, relu, same)(x); right = Conv2D(c, 2, relu, same)(x)
        x = MaxPooling2D(2)(Concatenate()([left, right]))        # (h/2, w/2, 2c)
    Waist: Dense(latent_dim // (h/16 * w/16), name="latent")   # (2, 2, 64) -> (2, 2, 32) for 32x32
    Decoder, 4 blocks with c = 32, 16, 8, 4 filters:
        x = UpSampling2D(2)(Conv2D(c, 3, relu, same)(x))
    Output: Conv2D(1, 3, sigmoid, same)

    Args:
        input_shape: (height, width, 1), height and width divisible by 16.
        latent_dim: size of the code; the "latent" layer outputs latent_dim numbers per image.
    Returns:
        keras.Model mapping (batch, *input_shape) -> (batch, *input_shape), values in (0, 1).
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for channels in (4, 8, 16, 32):
        left = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        right = layers.Conv2D(channels, 2, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D(2)(layers.Concatenate()([left, right]))
    positions = x.shape[1] * x.shape[2]
    x = layers.Dense(latent_dim // positions, name="latent")(x)
    for channels in (32, 16, 8, 4):
        x = layers.Conv2D(channels, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)
    outputs = layers.Conv2D(1, 3, activation="relu", padding="same")(x)
    return keras.Model(inputs, outputs, name="autoencoder")''',
    ],
    'extract_encoder': [
        r'''# Exercise: extract_encoder
# Planted bug: the latent map is not flattened: (batch, 2, 2, 32) instead of (batch, 128)
def extract_encoder(autoencoder):
    """The encoder half of an autoencoder built by build_autoencoder, sharing its weights.

    Args:
        autoencoder: a keras.Model with a layer named "latent".
    Returns:
        keras.Model from the autoencoder's input (batch, 32, 32, 1) to the "latent"
        layer's output flattened into one vector per image: (batch, 128).
    Hint: autoencoder.get_layer(name).output is a symbolic tensor you can keep building on.
    """
    latent = autoencoder.get_layer("latent").output
    return keras.Model(autoencoder.input, latent, name="encoder")''',
        r'''# Exercise: extract_encoder
# Planted bug: a fresh, untrained network instead of the given one
def extract_encoder(autoencoder):
    """The encoder half of an autoencoder built by build_autoencoder, sharing its weights.

    Args:
        autoencoder: a keras.Model with a layer named "latent".
    Returns:
        keras.Model from the autoencoder's input (batch, 32, 32, 1) to the "latent"
        layer's output flattened into one vector per image: (batch, 128).
    Hint: autoencoder.get_layer(name).output is a symbolic tensor you can keep building on.
    """
    fresh = build_autoencoder()
    latent = fresh.get_layer("latent").output
    return keras.Model(fresh.input, layers.Flatten()(latent), name="encoder")''',
        r'''# Exercise: extract_encoder
# Planted bug: the layer before the waist (the 2x2x64 pooled map, 256 numbers)
def extract_encoder(autoencoder):
    """The encoder half of an autoencoder built by build_autoencoder, sharing its weights.

    Args:
        autoencoder: a keras.Model with a layer named "latent".
    Returns:
        keras.Model from the autoencoder's input (batch, 32, 32, 1) to the "latent"
        layer's output flattened into one vector per image: (batch, 128).
    Hint: autoencoder.get_layer(name).output is a symbolic tensor you can keep building on.
    """
    latent = autoencoder.layers[autoencoder.layers.index(autoencoder.get_layer("latent")) - 1].output
    return keras.Model(autoencoder.input, layers.Flatten()(latent), name="encoder")''',
    ],
}
