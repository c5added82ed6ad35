#!/usr/bin/env bash
# Runs the Kotlin suite (JUnit 5 on the JVM, through Maven) against freshly generated
# bindings and the debug cdylib, with a station server for the sync scenario (started by
# tests/with-server.sh unless DOORSTEP_TEST_SERVER is set). Maven fetches Kotlin, JNA,
# coroutines and JUnit from Maven Central into ~/.m2 on first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${DOORSTEP_TEST_SERVER:-}" ] || exec tests/with-server.sh tests/kotlin/run.sh "$@"
command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven default-jdk-headless; }
if [ "${DOORSTEP_SKIP_GEN:-0}" != 1 ]; then
  scripts/gen-bindings.sh
fi
cd android
# clean: the Kotlin plugin recompiles everything anyway, and classes of deleted tests or
# removed bindings must not linger in android/target.
exec mvn -B -ntp clean test
