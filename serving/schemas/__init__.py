"""Request and response models of the commerce API (``XCreate`` in, ``XPublic`` out)."""
