"""emporium's composition root: the one Settings object, the CLI, engine services and wiring.

Library packages (``commerce``, ``models``, ``pipelines``, ``serving``) never import this
package; they receive what they need as arguments.
"""
