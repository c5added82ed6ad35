#!/usr/bin/env bash
# Runs the Python suite against freshly generated bindings and the debug cdylib.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/gen-bindings.sh
python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest
exec tests/with-server.sh python3 -m pytest -q tests/python
