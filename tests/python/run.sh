#!/usr/bin/env bash
# Runs the Python suite against freshly generated bindings and the cdylib of a profile:
# tests/python/run.sh [debug|release]   (default: debug; scripts/test-all.sh runs it once
# against a stripped release-profile library, so a release build that cannot make bindings
# fails the test command).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/gen-bindings.sh "${1:-debug}"
python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest
exec tests/with-server.sh python3 -m pytest -q tests/python
