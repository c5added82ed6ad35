#!/usr/bin/env bash
# Holds the station to its API document (/api/openapi.json): schemathesis, pinned and
# installed from PyPI into a virtualenv under ~/.cache/doorstep, runs every one of its
# checks against a running station, once without a token and once with a station
# admin's device token. Any failure is a non-zero exit.
#   DOORSTEP_API_EXAMPLES  test cases per operation and phase (default 50)
#   DOORSTEP_API_SEED      the generator's seed (default fixed, so a run repeats)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/doorstep/schemathesis-$version"
if [ ! -x "$venv/bin/st" ]; then
  echo "installing schemathesis $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi
if [ -z "${DOORSTEP_TEST_SERVER:-}" ]; then
  exec tests/with-server.sh "$0" "$@"
fi
# The third code of tests/with-server.sh is a station admin's; the code is the first line
# of what `doorstep enrol` printed (a QR code follows it).
token="$(python3 - "$DOORSTEP_TEST_SERVER" "$DOORSTEP_TEST_CODES" <<'PY'
import json, sys, urllib.request
server, codes = sys.argv[1], sys.argv[2]
code = codes.split(",")[2].strip().splitlines()[0]
req = urllib.request.Request(
    server + "/api/v1/enrol",
    data=json.dumps({"code": code, "device_id": "api-contract"}).encode(),
    headers={"Content-Type": "application/json"},
)
print(json.load(urllib.request.urlopen(req))["token"])
PY
)"
run() {
  "$venv/bin/st" --config-file tests/api/schemathesis.toml run \
    "$DOORSTEP_TEST_SERVER/api/openapi.json" --checks all \
    --max-examples "${DOORSTEP_API_EXAMPLES:-50}" --seed "${DOORSTEP_API_SEED:-20221}" \
    --no-color "$@"
}
echo "== API contract without a token =="
run
echo "== API contract with a station admin's device token =="
run -H "Authorization: Bearer $token"
