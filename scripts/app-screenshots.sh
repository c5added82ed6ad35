#!/usr/bin/env bash
# Retakes docs/app/: every screen of the Android app in a sample state, rendered headlessly
# (ImageComposeScene, no display) at 360 x 780 dp in zh-CN and English.
set -euo pipefail
cd "$(dirname "$0")/.."
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk fontconfig; }
scripts/gen-bindings.sh >/dev/null
(cd android && mvn -B -ntp -q -pl desktop -am install -DskipTests)
java -Djava.awt.headless=true -Djna.library.path=target/bindings \
  -cp "android/desktop/target/classes:$(cat android/desktop/target/classpath.txt)" \
  org.doorstep.desktop.RetakeScreenshots docs/app
