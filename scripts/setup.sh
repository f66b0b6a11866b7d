#!/usr/bin/env bash
# Creates .venv/ with Python 3.11 and installs the locked dependencies (all extras).
# Idempotent and quick when nothing changed: uv keeps its cache in ~/.cache/uv.
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python=$(command -v "$candidate"); break
  fi
done
if [ -z "$python" ]; then
  echo "setup: Python 3.11 is required (python3.11 on PATH); install it and re-run make setup" >&2
  exit 1
fi
if ! command -v java >/dev/null; then
  echo "setup: Java 17 is required for Spark, Kafka and OpenSearch (apt-get install openjdk-17-jdk-headless)" >&2
  exit 1
fi

uv=$(command -v uv || true)
if [ -z "$uv" ]; then
  # uv is the installer; bring it in a private bootstrap venv rather than the system Python.
  "$python" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
  uv=.tools/bin/uv
fi
[ -x .venv/bin/python ] || "$uv" venv --quiet --python "$python" .venv
# Bytecode is compiled at install (as pip does; uv does not by default). Where the environment
# sets PYTHONDONTWRITEBYTECODE, nothing else ever writes it, and every process (each CLI step,
# Spark's Python workers, Airflow's task processes, the tests' servers) compiled every module
# it imported from source again: 6 s of `emporium serve`'s 11 s start here.
"$uv" pip sync --quiet --compile-bytecode --python .venv/bin/python requirements.lock
"$uv" pip install --quiet --compile-bytecode --python .venv/bin/python --no-deps -r requirements-nodeps.txt
"$uv" pip install --quiet --python .venv/bin/python --no-deps -e .
.venv/bin/python -m compileall -q commerce models pipelines serving emporium dags >/dev/null
echo "setup: .venv ready ($(.venv/bin/python --version))"
