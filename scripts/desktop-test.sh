#!/usr/bin/env bash
# The desktop's part of make test: the frontend's unit tests (vitest), a build
# of the app, and the built binary under Xvfb (scripts/desktop-xvfb-test.sh,
# inside its own D-Bus session), then the end-to-end tests
# (scripts/desktop-e2e.sh) and, as root, the softphone's end to end in the
# voice lab (scripts/desktop-e2e-voice.sh). Skips, saying so, while the frontend is not
# in the tree yet.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'desktop-test: %s\n' "$*"; }
if [ ! -f desktop/frontend/package.json ] || [ ! -f desktop/main.go ]; then
	say "SKIP: the desktop app or its frontend is not in the tree yet"
	exit 0
fi
scripts/desktop-build.sh
say "frontend unit tests (vitest)"
npm test --prefix desktop/frontend --silent
say "the built binary under Xvfb"
dbus-run-session -- scripts/desktop-xvfb-test.sh
say "end to end: Chromium (playwright-core) against two wails dev instances and the local stack"
scripts/desktop-e2e.sh
say "end to end: the Desktop station's softphone in the voice lab (root only)"
scripts/desktop-e2e-voice.sh
