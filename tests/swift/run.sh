#!/usr/bin/env bash
# Builds the doorstep-ffi cdylib, generates the Swift bindings, and runs the XCTest suite of the
# Swift package in ios/ against them, inside a Debian trixie chroot that has Swift (Swift is not
# packaged for bookworm).  Works from a fresh machine; needs root (debootstrap, chroot, mount) and
# the Debian mirror.  Exits non-zero if the build or any test fails.
#
#   tests/swift/run.sh [extra `swift test` arguments, e.g. --filter DoorstepTests.testWrongKey]
#
# Environment: DOORSTEP_CACHE (chroot location, see setup-chroot.sh), DOORSTEP_SKIP_GEN=1 to reuse
# target/bindings as they are. The sync scenario needs a station server: tests/with-server.sh
# starts one (and sets DOORSTEP_TEST_SERVER and DOORSTEP_TEST_CODES) unless one is given; the
# chroot shares the host's loopback.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/run.sh"
[ -n "${DOORSTEP_TEST_SERVER:-}" ] || exec "$(dirname "$self")/../with-server.sh" "$self" "$@"

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

if [ "$(id -u)" != 0 ]; then
  echo "tests/swift/run.sh must run as root (chroot, mount)" >&2
  exit 1
fi

cache="${DOORSTEP_CACHE:-${HOME:-/root}/.cache/doorstep}"
mkdir -p "$cache"

# 1. cdylib + bindings on the host.
if [ "${DOORSTEP_SKIP_GEN:-0}" != 1 ]; then
  scripts/gen-bindings.sh
fi
gen=target/bindings/swift
for f in "$gen/DoorstepCore.swift" "$gen/DoorstepModel.swift" "$gen/doorstep_ffiFFI.h" "$gen/doorstep_coreFFI.h" \
  "$gen/module.modulemap" target/bindings/libdoorstep_ffi.so; do
  [ -f "$f" ] || { echo "missing $f (did scripts/gen-bindings.sh run?)" >&2; exit 1; }
done

# 2. Copy the generated files into the package (only when changed, so SwiftPM's build stays incremental).
copy_if_changed() {
  mkdir -p "$(dirname "$2")"
  cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"
}
for f in doorstep_ffiFFI.h doorstep_coreFFI.h module.modulemap; do
  copy_if_changed "$gen/$f" "ios/Sources/DoorstepCoreFFI/$f"
done
for f in DoorstepCore.swift DoorstepModel.swift; do
  copy_if_changed "$gen/$f" "ios/Sources/DoorstepCore/$f"
done
# Files of the module's earlier name would be compiled as a second module.
rm -rf ios/Sources/Doorstep ios/Sources/doorstep_ffiFFI

# One run at a time per chroot: the mounts below are shared by everyone using it.
exec 9>"$cache/swift-chroot.lock"
flock 9
export DOORSTEP_SWIFT_LOCKED=1

# 3. The Swift chroot (fast when it exists).
root="$("$here/setup-chroot.sh" | tail -n 1)"
chroot "$root" /usr/bin/test -x /usr/bin/swift || { echo "no swift in $root" >&2; exit 1; }

# 4. Mount the repository at the same path inside the chroot (SwiftPM's .build records absolute
#    paths, so the same path keeps the cache valid between runs), plus /proc and /dev.
mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true
  done
  mounts=()
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

mount_at() { # mount_at TARGET MOUNT-ARGS...
  local target="$1"; shift
  # a run killed before its trap ran may have left a mount here: drop it first
  while mountpoint -q "$target"; do umount -R "$target" 2>/dev/null || umount -l "$target"; done
  mount "$@" "$target"
  mounts+=("$target")
}

mkdir -p "$root/proc" "$root/dev" "$root$repo"
mount_at "$root/proc" -t proc proc
mount_at "$root/dev" --rbind /dev
mount --make-rslave "$root/dev"
mount_at "$root$repo" --bind "$repo"

# 5. swift test inside the chroot.
log="$cache/swift-test.log"
status=0
chroot "$root" /usr/bin/env -i \
  PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TMPDIR=/tmp \
  DOORSTEP_TEST_SERVER="$DOORSTEP_TEST_SERVER" DOORSTEP_TEST_CODES="${DOORSTEP_TEST_CODES:-}" \
  DOORSTEP_TEST_ADMIN="${DOORSTEP_TEST_ADMIN:-}" \
  LD_LIBRARY_PATH="$repo/target/bindings" DOORSTEP_FFI_LIB_DIR="$repo/target/bindings" \
  swift test --package-path "$repo/ios" --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?

# A plain closing line, from XCTest's own summary ("Executed N tests, with M failures ...").
summary=$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  total=$(sed -E 's/^[[:space:]]*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failures=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
  # The summary counts failed assertions; a test with several counts once here.
  failed=$(grep -cE "^Test Case '.*' failed" "$log" || true)
  echo "XCTest: $((total - failed)) passed, $failed failed ($failures failed assertions)"
  [ "$failures" = 0 ] || [ "$status" != 0 ] || status=1
  [ "$total" != 0 ] || [ "$status" != 0 ] || { echo "no XCTest test ran" >&2; status=1; }
elif [ "$status" = 0 ]; then
  echo "swift test printed no XCTest summary" >&2
  status=1
fi
exit "$status"
