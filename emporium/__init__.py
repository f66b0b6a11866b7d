"""emporium's composition root: the one Settings object, the CLI, engine services and wiring.

Library packages (``commerce``, ``models``, ``pipelines``, ``serving``) never import this
package; they receive what they need as arguments.
"""

import os

# implicit wants a single-threaded BLAS, and OpenBLAS reads this once, when NumPy is first
# imported; the package is imported before anything else the CLI loads, so it is set here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
