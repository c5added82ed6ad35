#!/usr/bin/env bash
# Installs the Debian tools the test suites call, only those missing, so it is cheap to
# run before every test run: zbarimg (zbar-tools) reads rendered passes back in
# core/tests/checkin_zbar.rs; PostgreSQL's server (initdb, pg_ctl) runs the server crate's
# PostgreSQL tests through scripts/with-postgres.sh; chromium and chromedriver drive the
# dashboard in server/tests/it/station_browser.rs, with CJK fonts so its pages and
# screenshot show Chinese.
set -euo pipefail
missing=()
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
