#!/usr/bin/env bash
# Runs the Kotlin suites in one Maven invocation against freshly generated bindings and
# the debug cdylib, with a station server (started by tests/with-server.sh unless
# DOORSTEP_TEST_SERVER is set): the SDK's tests (JUnit 5), the app's presenter tests, the
# desktop's Compose UI test of the social worker's day and screenshot tests (JUnit 4),
# and the Android platform layer compiled against AndroidX and tested with Robolectric.
# Maven fetches everything from Maven Central into ~/.m2 on first run (about 600 MB) and
# reads it from there afterwards; with the Rust build warm the run takes about 2.5
# minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${DOORSTEP_TEST_SERVER:-}" ] || exec tests/with-server.sh tests/kotlin/run.sh "$@"
command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven default-jdk-headless; }
# The screenshots draw Chinese; Skia finds Noto CJK through fontconfig.
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk fontconfig; }
if [ "${DOORSTEP_SKIP_GEN:-0}" != 1 ]; then
  scripts/gen-bindings.sh
fi
cd android
# clean: the Kotlin plugin recompiles everything anyway, and classes of deleted tests or
# removed bindings must not linger in the modules' target/.
exec mvn -B -ntp clean test
