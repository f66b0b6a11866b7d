"""Every ``emporium`` command imports the CLI first, so the CLI module itself stays light: the
numerical stack, the ORM and the engine clients are imported by the commands that use them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sklearn", "pandas", "scipy", "sqlalchemy", "alembic", "redis", "mlflow", "pyspark")


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = f"import sys, emporium.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
