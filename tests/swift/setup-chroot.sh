#!/usr/bin/env bash
# Creates (once) a Debian trixie chroot with Swift (Debian's `swiftlang` package) for running the
# Swift package in ios/ under XCTest on Linux.  Needs root.  Idempotent: a marker file inside the
# chroot records a finished setup; re-running with the marker present returns at once.  A setup that
# was interrupted (no marker, or a leftover staging dir) is thrown away and redone.
#
#   tests/swift/setup-chroot.sh           # prints the chroot path on the last line of stdout
#
# Environment:
#   DOORSTEP_CACHE          cache root (default: $HOME/.cache/doorstep); chroot is $DOORSTEP_CACHE/swift-trixie
#   DOORSTEP_DEBIAN_MIRROR  Debian mirror URL (default: the one the host's apt sources use)
#   DOORSTEP_SWIFT_REBUILD  set to 1 to force a fresh chroot
set -euo pipefail

suite=trixie
cache="${DOORSTEP_CACHE:-${HOME:-/root}/.cache/doorstep}"
root="$cache/swift-$suite"
staging="$root.partial"
# Bump this string whenever the package set changes: a marker with other contents means "redo".
packages="swiftlang libc6-dev"
stamp="doorstep swift chroot v1: $suite: $packages"
marker="$root/.doorstep-swift-ready"

log() { echo "[setup-chroot] $*" >&2; }

case "$root" in
  *[[:space:]]*) echo "setup-chroot.sh: the cache path must not contain spaces: $root" >&2; exit 1 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "setup-chroot.sh must run as root (debootstrap, chroot, mount)" >&2
  exit 1
fi

# Unmounts everything mounted at or below $1 (deepest first).  Fails if something stays mounted,
# so that a later `rm -rf` can never reach into a bind-mounted directory (e.g. the repository).
unmount_below() {
  local dir m
  dir="$(realpath -m "$1")"
  # (/proc/self/mounts writes a space as \040, so a cache path with spaces is not supported.)
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
  if awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "still mounted below $dir; refusing to continue" >&2
    return 1
  fi
}

wipe() {
  [ -e "$1" ] || return 0
  unmount_below "$1"
  rm -rf --one-file-system "$1"
}

mkdir -p "$cache"
# Serialize with other setups and with tests/swift/run.sh (which holds this lock and says so).
if [ -z "${DOORSTEP_SWIFT_LOCKED:-}" ]; then
  exec 9>"$cache/swift-chroot.lock"
  flock 9
fi

if [ "${DOORSTEP_SWIFT_REBUILD:-0}" != 1 ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ] \
   && chroot "$root" /usr/bin/test -x /usr/bin/swift 2>/dev/null; then
  echo "$root"
  exit 0
fi

start=$(date +%s)

# --- the Debian mirror the host uses --------------------------------------------------------------
find_mirror() {
  local files f
  files=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  for f in $files; do
    case "$f" in
      *.sources)
        # deb822: a URIs: line ending in /debian (not debian-security, not other vendors' repos)
        awk '/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" ;;
      *)
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }' "$f" ;;
    esac
  done | grep -E '^https?://[^ ]*/debian/?$' | head -n1 | sed 's#/$##'
}
mirror="${DOORSTEP_DEBIAN_MIRROR:-$(find_mirror)}"
mirror="${mirror:-http://deb.debian.org/debian}"
log "mirror: $mirror"

# --- debootstrap on the host ---------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap on the host"
  apt-get update -qq || true
  apt-get install -y -qq debootstrap >/dev/null
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f /usr/share/keyrings/debian-archive-trixie-stable.gpg ] && [ ! -f /usr/share/keyrings/debian-archive-trixie-automatic.gpg ]; then
  log "host keyring lacks trixie keys; updating debian-archive-keyring"
  apt-get update -qq || true
  apt-get install -y -qq debian-archive-keyring >/dev/null || true
fi
# An old debootstrap may not know trixie; its scripts are all symlinks to sid anyway.
script_arg=()
if [ ! -e "/usr/share/debootstrap/scripts/$suite" ] && [ -e /usr/share/debootstrap/scripts/sid ]; then
  script_arg=(/usr/share/debootstrap/scripts/sid)
fi

# --- fresh chroot in a staging dir ---------------------------------------------------------------
wipe "$staging"
wipe "$root"
mkdir -p "$cache"
log "debootstrap $suite (minbase) into $staging"
if ! debootstrap --variant=minbase --keyring="$keyring" "$suite" "$staging" "$mirror" "${script_arg[@]}" \
     >"$cache/debootstrap.log" 2>&1; then
  tail -n 30 "$cache/debootstrap.log" >&2
  [ -f "$staging/debootstrap/debootstrap.log" ] && tail -n 30 "$staging/debootstrap/debootstrap.log" >&2
  exit 1
fi

cleanup_mounts() { unmount_below "$staging" || true; }
trap cleanup_mounts EXIT
mount -t proc proc "$staging/proc"
mount --rbind /dev "$staging/dev"
mount --make-rslave "$staging/dev"
cp -L /etc/resolv.conf "$staging/etc/resolv.conf" 2>/dev/null || true
# no daemons from postinst scripts
printf '#!/bin/sh\nexit 101\n' >"$staging/usr/sbin/policy-rc.d"
chmod +x "$staging/usr/sbin/policy-rc.d"
printf 'deb %s %s main\n' "$mirror" "$suite" >"$staging/etc/apt/sources.list"
cat >"$staging/etc/apt/apt.conf.d/90doorstep" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
CONF

log "installing $packages"
chroot "$staging" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c "apt-get update -qq && apt-get install -y -qq $packages && apt-get clean" >"$cache/apt.log" 2>&1 \
  || { tail -n 40 "$cache/apt.log" >&2; exit 1; }
rm -rf "$staging"/var/lib/apt/lists/*

chroot "$staging" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root swift --version >&2

unmount_below "$staging"
trap - EXIT
mv "$staging" "$root"
echo "$stamp" >"$marker"
log "done in $(( $(date +%s) - start ))s: $root"
echo "$root"
