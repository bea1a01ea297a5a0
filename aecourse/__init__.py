"""Generating images with autoencoders: the course helper library."""
