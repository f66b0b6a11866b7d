#!/usr/bin/env bash
# make test: lint and type checks, start the real engines, run every test, stop the engines.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
status=0

echo "== lint: ruff, import contracts, mypy"
$bin/ruff check . || status=1
$bin/ruff format --check . || status=1
$bin/lint-imports || status=1
$bin/mypy || status=1

echo "== engines: emporium services up"
# Engines someone already runs stay up afterwards; the ones this run starts are stopped again.
already_up=0
$bin/emporium services status >/dev/null 2>&1 && already_up=1
if ! $bin/emporium services up; then
  echo "test: the engines did not start; see the messages above" >&2
  [ "$already_up" = 1 ] || $bin/emporium services down || true
  exit 1
fi
[ "$already_up" = 1 ] || trap '$bin/emporium services down' EXIT
# shellcheck disable=SC1091
source var/services/test.env

echo "== tests: unit, integration (every real engine), e2e, dags, notebooks"
# The slowest tests are listed at the end: a full run must stay under 40 minutes in CI.
$bin/pytest -p no:cacheprovider --durations=40 "$@"
rc=$?
if [ "$rc" -ne 0 ]; then status=$rc; fi
exit "$status"
