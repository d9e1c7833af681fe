#!/usr/bin/env bash
# Builds the AgentDesk desktop app (Wails v2, webkit2gtk 4.1).
#
#   scripts/desktop-build.sh            frontend (npm ci when needed, npm run build),
#                                       then desktop/build/bin/agentdesk
#   scripts/desktop-build.sh windows    also desktop/build/bin/agentdesk.exe and the
#                                       NSIS installer (cross-built, needs nsis)
#
# VERSION (default: productVersion in desktop/wails.json) is stamped into the
# binary (main.version).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESKTOP="$ROOT/desktop"
FRONTEND="$DESKTOP/frontend"
say() { printf 'desktop-build: %s\n' "$*"; }

VERSION="${VERSION:-$(sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' "$DESKTOP/wails.json")}"
VERSION="${VERSION:-0.0.0}"

[ -f "$FRONTEND/package.json" ] || { echo "desktop-build: desktop/frontend/package.json is missing" >&2; exit 1; }
if [ ! -f "$FRONTEND/package-lock.json" ]; then
	# No lock yet (the frontend being set up): install without writing one.
	say "npm install in desktop/frontend (no package-lock.json)"
	npm install --prefix "$FRONTEND" --no-package-lock --no-audit --no-fund --loglevel=error
fi
# npm ci only when package-lock.json changed since the last install.
lock_hash="$(cat "$FRONTEND/package.json" "$FRONTEND/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)"
marker="$FRONTEND/node_modules/.agentdesk-installed"
# A tree installed by hand counts as current when npm's own
# node_modules/.package-lock.json is not older than the manifests.
hidden="$FRONTEND/node_modules/.package-lock.json"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$lock_hash" ]; then
	:
elif [ ! -f "$marker" ] && [ -f "$hidden" ] && [ ! "$FRONTEND/package.json" -nt "$hidden" ] && { [ ! -f "$FRONTEND/package-lock.json" ] || [ ! "$FRONTEND/package-lock.json" -nt "$hidden" ]; }; then
	:
else
	say "npm ci in desktop/frontend"
	npm ci --prefix "$FRONTEND" --no-audit --no-fund --loglevel=error
	printf '%s\n' "$lock_hash" >"$marker"
fi
say "npm run build"
npm run --prefix "$FRONTEND" --silent build >/dev/null

cd "$DESKTOP"
LDFLAGS="-X main.version=$VERSION"
say "wails build (linux/amd64, webkit2_41) $VERSION"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# wails prints its errors on stdout: show the log only when it fails.
# -skipbindings: the frontend calls window.go.main.App.* itself (no wailsjs/),
# and generating them runs the app, which needs a display.
go tool wails build -s -skipbindings -clean -tags webkit2_41 -trimpath -ldflags "$LDFLAGS" -platform linux/amd64 -o agentdesk >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
test -x build/bin/agentdesk || { echo "desktop-build: build/bin/agentdesk is missing" >&2; exit 1; }

if [ "${1:-}" = windows ]; then
	# The audio devices (malgo, miniaudio) are C: the Windows binary is
	# cross-compiled with cgo through MinGW (Debian gcc-mingw-w64-x86-64).
	# Wails passes this environment on to its go build for windows. It must
	# not reach the build of the wails tool itself (a Linux program), so
	# the tool runs from the binary `go tool` built above.
	WIN_CC="${WIN_CC:-x86_64-w64-mingw32-gcc}"
	command -v "$WIN_CC" >/dev/null || { echo "desktop-build: $WIN_CC is missing (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }
	wails_bin="$(go tool -n wails)"
	[ -x "$wails_bin" ] || { echo "desktop-build: no wails binary at $wails_bin" >&2; exit 1; }
	say "wails build (windows/amd64, cgo with $WIN_CC, NSIS installer) $VERSION"
	CGO_ENABLED=1 CC="$WIN_CC" "$wails_bin" build -s -skipbindings -tags webkit2_41 -trimpath -ldflags "$LDFLAGS" -platform windows/amd64 -nsis -o agentdesk.exe >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
say "ok: $(ls build/bin | tr '\n' ' ')"
