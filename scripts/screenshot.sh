#!/usr/bin/env bash
# Retakes docs/overview.png: the browser test logs in to `doorstep serve --demo` in
# headless Chromium and saves the overview it reads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
DOORSTEP_SCREENSHOT="$PWD/docs/overview.png" cargo test -p doorstep-server --test it station_browser
