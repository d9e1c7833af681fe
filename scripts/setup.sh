#!/usr/bin/env bash
# Installs what the local stack and the tests need, on a fresh Debian 12
# machine (run as root, or as a user with sudo) that has Go, node and npm.
# Idempotent and quiet: when nothing it depends on has changed since the last
# successful run (see the stamp under .local/), it does nothing.
#
#   scripts/setup.sh          install what is missing
#   FORCE=1 scripts/setup.sh  ignore the stamp
set -euo pipefail

# Debian packages, installed only when missing. Append here (one list).
#   make             the Makefile
#   ca-certificates  TLS roots for the Go module proxy and the npm registry
#   gcc libc6-dev    cgo, which `go test -race` needs
#   libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config   the desktop app (Wails, webkit2_41)
#   xvfb xauth xdotool imagemagick x11-utils python3   the desktop under a virtual display (tests, bench; x11-utils: xprop, xmessage; python3: scripts/lib/*.py)
#   gnome-keyring dbus-x11 libsecret-1-dev   a Secret Service for the keyring tests
#   nsis      the Windows installer (make package)
#   chromium  the desktop's end-to-end tests (playwright-core)
APT_PACKAGES="make ca-certificates gcc libc6-dev libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config xvfb xauth xdotool imagemagick x11-utils python3 gnome-keyring dbus-x11 libsecret-1-dev nsis chromium"
#   the voice lab (scripts/voice-lab.sh): SIP registrar/proxy, media relay,
#   SIP user agents, ip/ss for its network namespace, iptables for its
#   packet-loss tests
APT_PACKAGES="$APT_PACKAGES kamailio kamailio-websocket-modules rtpengine-daemon baresip iproute2 iptables"
#   the softphone: Opus via cgo, and mingw to cross-build the Windows app with
#   its cgo audio (malgo)
APT_PACKAGES="$APT_PACKAGES libopus-dev libopusfile-dev gcc-mingw-w64-x86-64"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"
cd "$ROOT"
SES_DIR="infra/ses"
DESKTOP_FE="desktop/frontend"
VOICE_BROWSER="infra/voice/browser"
STAMP_DIR=".local"
STAMP="$STAMP_DIR/setup.stamp"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# run_quiet runs a command, showing its output only when it fails.
run_quiet() {
	local log
	log="$(mktemp)"
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "failed: $*"
	fi
	rm -f "$log"
}

# fingerprint hashes every input of this script, so that a change to any of
# them (or to this script) reruns the setup.
fingerprint() {
	{
		cat "$SELF"
		for f in go.work "$SES_DIR/package.json" "$SES_DIR/package-lock.json" "$DESKTOP_FE/package.json" "$DESKTOP_FE/package-lock.json" "$VOICE_BROWSER/package.json" "$VOICE_BROWSER/package-lock.json" */go.mod */go.sum; do
			if [ -f "$f" ]; then
				printf '%s\n' "$f"
				cat "$f"
			fi
		done
		uname -m
		command -v go node npm || true
	} | sha256sum | cut -d' ' -f1
}

ses_installed() {
	[ -f "$SES_DIR/node_modules/aws-ses-v2-local/package.json" ]
}

want="$(fingerprint)"
if [ "${FORCE:-}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && ses_installed && [ -d "$VOICE_BROWSER/node_modules" ]; then
	exit 0
fi

# --- Debian packages --------------------------------------------------------
missing=()
for pkg in $APT_PACKAGES; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]; then
		missing+=("$pkg")
	fi
done
# node and npm may come from elsewhere than Debian (e.g. NodeSource): check
# the commands, not the packages.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install them by hand"
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}: run as root (or install sudo)"
		SUDO=(sudo)
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_quiet "${SUDO[@]}" apt-get update -qq
	run_quiet "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
	# Debian enables system services for the voice lab's daemons; the lab
	# starts its own, inside its namespace.
	if command -v systemctl >/dev/null 2>&1; then
		"${SUDO[@]}" systemctl disable --now kamailio rtpengine-daemon >/dev/null 2>&1 || true
	fi
fi

# --- Toolchains -------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go is not on PATH: install Go $(sed -n 's/^go //p' go.work) first"
command -v node >/dev/null 2>&1 || die "node is not on PATH"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"

# --- npm trees: SES emulator, desktop frontend, the lab's browser SIP client --
# npm_tree DIR runs npm ci (npm install without a lock) when DIR's manifests
# changed since the last install. A marker in node_modules records the
# package.json and lock it was installed from; a tree without the marker
# (installed by hand) is taken as current when npm's own
# node_modules/.package-lock.json is not older than the manifests.
npm_hash() {
	cat "$1/package.json" "$1/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1
}
npm_stale() {
	local dir="$1" marker="$1/node_modules/.agentdesk-installed" hidden="$1/node_modules/.package-lock.json"
	[ -d "$dir/node_modules" ] || return 0
	if [ -f "$marker" ]; then
		[ "$(cat "$marker")" != "$(npm_hash "$dir")" ]
		return
	fi
	[ -f "$hidden" ] || return 0
	[ "$dir/package.json" -nt "$hidden" ] && return 0
	[ -f "$dir/package-lock.json" ] && [ "$dir/package-lock.json" -nt "$hidden" ] && return 0
	return 1
}
npm_tree() {
	local dir="$1" flags=(--no-audit --no-fund --loglevel=error)
	[ -f "$dir/package.json" ] || die "$dir/package.json is missing"
	if npm_stale "$dir"; then
		if [ -f "$dir/package-lock.json" ]; then
			say "npm ci in $dir"
			run_quiet npm ci --prefix "$dir" "${flags[@]}"
		else
			say "npm install in $dir (no package-lock.json)"
			run_quiet npm install --prefix "$dir" "${flags[@]}"
		fi
	fi
	npm_hash "$dir" >"$dir/node_modules/.agentdesk-installed"
}
# The emulator's package missing from a tree the marker calls current (a
# hand-made mess) still gets npm run.
ses_installed || rm -f "$SES_DIR/node_modules/.agentdesk-installed"
npm_tree "$SES_DIR"
ses_installed || die "aws-ses-v2-local is still missing from $SES_DIR/node_modules after npm"
npm_tree "$DESKTOP_FE"
npm_tree "$VOICE_BROWSER"

# --- Go modules -------------------------------------------------------------
say "go mod download"
run_quiet go mod download

mkdir -p "$STAMP_DIR"
printf '%s\n' "$(fingerprint)" >"$STAMP"
say "ok"
