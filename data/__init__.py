"""Datasets shipped with socialrec (installed as ``socialrec.datasets``).

Kept at the top of the repository (``data/``) so that they read as data, and
packaged so that ``pip install .`` and the Docker image carry them too.
"""
