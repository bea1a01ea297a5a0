"""Planted bugs for lesson 05_latent_space: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'latent_grid': [
        r'''# Exercise: latent_grid
# Planted bug: rows and columns swapped: z[0] runs down the rows
def latent_grid(decoder, n=10, span=1.5):
    """Decode an n x n grid of latent points and tile the images into one picture.

    decoder: a keras model mapping (m, 2) latent points to (m, 28, 28) images.
    The image in row i (from the top), column j (from the left) is decoded from
        z = (values[j], values[i])   with   values = linspace(-span, span, n),
    i.e. z[0] grows from left to right and z[1] from top to bottom.
    Returns a numpy array of shape (n * 28, n * 28): cell (i, j) is
        grid[i*28:(i+1)*28, j*28:(j+1)*28].

    Hint: np.meshgrid(values, values) gives two (n, n) arrays, ravel them and stack
    them into (n*n, 2) points; decoder.predict(points, verbose=0) decodes them all.
    """
    ### BEGIN SOLUTION
    values = np.linspace(-span, span, n)
    z1, z0 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]
    points = np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32")
    images = np.asarray(decoder.predict(points, verbose=0)).reshape(n, n, 28, 28)
    # (row i, column j, pixel row, pixel column) -> (i, pixel row, j, pixel column): rows of tiles
    return images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    ### END SOLUTION''',
        r'''# Exercise: latent_grid
# Planted bug: the linspace leaves out the +span endpoint
def latent_grid(decoder, n=10, span=1.5):
    """Decode an n x n grid of latent points and tile the images into one picture.

    decoder: a keras model mapping (m, 2) latent points to (m, 28, 28) images.
    The image in row i (from the top), column j (from the left) is decoded from
        z = (values[j], values[i])   with   values = linspace(-span, span, n),
    i.e. z[0] grows from left to right and z[1] from top to bottom.
    Returns a numpy array of shape (n * 28, n * 28): cell (i, j) is
        grid[i*28:(i+1)*28, j*28:(j+1)*28].

    Hint: np.meshgrid(values, values) gives two (n, n) arrays, ravel them and stack
    them into (n*n, 2) points; decoder.predict(points, verbose=0) decodes them all.
    """
    ### BEGIN SOLUTION
    values = np.linspace(-span, span, n, endpoint=False)
    z0, z1 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]
    points = np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32")
    images = np.asarray(decoder.predict(points, verbose=0)).reshape(n, n, 28, 28)
    # (row i, column j, pixel row, pixel column) -> (i, pixel row, j, pixel column): rows of tiles
    return images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    ### END SOLUTION''',
        r'''# Exercise: latent_grid
# Planted bug: tiles not transposed before the final reshape: each row of tiles is cut into strips
def latent_grid(decoder, n=10, span=1.5):
    """Decode an n x n grid of latent points and tile the images into one picture.

    decoder: a keras model mapping (m, 2) latent points to (m, 28, 28) images.
    The image in row i (from the top), column j (from the left) is decoded from
        z = (values[j], values[i])   with   values = linspace(-span, span, n),
    i.e. z[0] grows from left to right and z[1] from top to bottom.
    Returns a numpy array of shape (n * 28, n * 28): cell (i, j) is
        grid[i*28:(i+1)*28, j*28:(j+1)*28].

    Hint: np.meshgrid(values, values) gives two (n, n) arrays, ravel them and stack
    them into (n*n, 2) points; decoder.predict(points, verbose=0) decodes them all.
    """
    ### BEGIN SOLUTION
    values = np.linspace(-span, span, n)
    z0, z1 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]
    points = np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32")
    images = np.asarray(decoder.predict(points, verbose=0)).reshape(n, n, 28, 28)
    # (row i, column j, pixel row, pixel column) -> (i, pixel row, j, pixel column): rows of tiles
    return images.reshape(n * 28, n * 28)
    ### END SOLUTION''',
        r'''# Exercise: latent_grid
# Planted bug: z[1] runs upwards (like a plot's y axis) instead of down the rows
def latent_grid(decoder, n=10, span=1.5):
    """Decode an n x n grid of latent points and tile the images into one picture.

    decoder: a keras model mapping (m, 2) latent points to (m, 28, 28) images.
    The image in row i (from the top), column j (from the left) is decoded from
        z = (values[j], values[i])   with   values = linspace(-span, span, n),
    i.e. z[0] grows from left to right and z[1] from top to bottom.
    Returns a numpy array of shape (n * 28, n * 28): cell (i, j) is
        grid[i*28:(i+1)*28, j*28:(j+1)*28].

    Hint: np.meshgrid(values, values) gives two (n, n) arrays, ravel them and stack
    them into (n*n, 2) points; decoder.predict(points, verbose=0) decodes them all.
    """
    ### BEGIN SOLUTION
    values = np.linspace(-span, span, n)
    z0, z1 = np.meshgrid(values, values[::-1])          # z0[i, j] = values[j], z1[i, j] = values[i]
    points = np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32")
    images = np.asarray(decoder.predict(points, verbose=0)).reshape(n, n, 28, 28)
    # (row i, column j, pixel row, pixel column) -> (i, pixel row, j, pixel column): rows of tiles
    return images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    ### END SOLUTION''',
    ],
    'interpolate': [
        r'''# Exercise: interpolate
# Planted bug: the end point is excluded
def interpolate(z_start, z_end, steps):
    """Evenly spaced points on the straight line from z_start to z_end, both ends included.

    z_start, z_end: arrays of shape (latent_dim,).  steps: how many points (>= 2).
    Returns a float32 array of shape (steps, latent_dim) whose row k is
        (1 - t_k) * z_start + t_k * z_end,   t_k = k / (steps - 1),
    so row 0 is z_start and row steps-1 is z_end.

    Hint: np.linspace(0, 1, steps) gives the t_k; a [:, None] turns them into a column
    that broadcasts against the (latent_dim,) vectors.
    """
    ### BEGIN SOLUTION
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, None]
    start = np.asarray(z_start, dtype="float32")[None, :]
    end = np.asarray(z_end, dtype="float32")[None, :]
    return ((1.0 - t) * start + t * end).astype("float32")
    ### END SOLUTION''',
        r'''# Exercise: interpolate
# Planted bug: one point too many (steps + 1)
def interpolate(z_start, z_end, steps):
    """Evenly spaced points on the straight line from z_start to z_end, both ends included.

    z_start, z_end: arrays of shape (latent_dim,).  steps: how many points (>= 2).
    Returns a float32 array of shape (steps, latent_dim) whose row k is
        (1 - t_k) * z_start + t_k * z_end,   t_k = k / (steps - 1),
    so row 0 is z_start and row steps-1 is z_end.

    Hint: np.linspace(0, 1, steps) gives the t_k; a [:, None] turns them into a column
    that broadcasts against the (latent_dim,) vectors.
    """
    ### BEGIN SOLUTION
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    start = np.asarray(z_start, dtype="float32")[None, :]
    end = np.asarray(z_end, dtype="float32")[None, :]
    return ((1.0 - t) * start + t * end).astype("float32")
    ### END SOLUTION''',
        r'''# Exercise: interpolate
# Planted bug: start and end swapped: the walk runs backwards
def interpolate(z_start, z_end, steps):
    """Evenly spaced points on the straight line from z_start to z_end, both ends included.

    z_start, z_end: arrays of shape (latent_dim,).  steps: how many points (>= 2).
    Returns a float32 array of shape (steps, latent_dim) whose row k is
        (1 - t_k) * z_start + t_k * z_end,   t_k = k / (steps - 1),
    so row 0 is z_start and row steps-1 is z_end.

    Hint: np.linspace(0, 1, steps) gives the t_k; a [:, None] turns them into a column
    that broadcasts against the (latent_dim,) vectors.
    """
    ### BEGIN SOLUTION
    t = np.linspace(0.0, 1.0, steps)[:, None]
    start = np.asarray(z_start, dtype="float32")[None, :]
    end = np.asarray(z_end, dtype="float32")[None, :]
    return ((1.0 - t) * end + t * start).astype("float32")
    ### END SOLUTION''',
    ],
}
