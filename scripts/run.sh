#!/usr/bin/env bash
# make run: the local stack (infra/cmd/agentdesk-local) and, when there is a
# display ($DISPLAY or $WAYLAND_DISPLAY), the desktop app built and opened
# against it (AGENTDESK_SERVER=http://<AGENTDESK_API_ADDR>) once the API
# answers /v1/health. Ctrl+C (or closing the terminal) stops everything it
# started; closing the desktop window leaves the stack running.
#
#   scripts/run.sh             stack + desktop when there is a display
#   scripts/run.sh --backend   stack only (make run-backend)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
GO="${GO:-go}"
say() { printf 'run: %s\n' "$*" >&2; }

want_desktop=1
[ "${1:-}" = --backend ] && want_desktop=0
if [ "$want_desktop" = 1 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	say "no display (\$DISPLAY and \$WAYLAND_DISPLAY are unset): running the backend only"
	want_desktop=0
fi

pids=()
cleanup() {
	trap - INT TERM EXIT
	local p
	for p in "${pids[@]}"; do
		kill -TERM -- "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "${p#-}" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A built binary rather than `go run`, so that the signal reaches the stack
# itself and its pid is the one to wait for.
mkdir -p .local/bin
$GO build -o .local/bin/agentdesk-local ./infra/cmd/agentdesk-local
.local/bin/agentdesk-local &
backend=$!
pids+=("$backend")

if [ "$want_desktop" = 1 ]; then
	api="http://${AGENTDESK_API_ADDR:-127.0.0.1:3000}"
	say "building the desktop app while the stack starts"
	# In the background so that a signal interrupts the wait (bash runs traps
	# only between foreground commands); its own group so cleanup stops it whole.
	setsid scripts/desktop-build.sh >&2 &
	build=$!
	pids+=("-$build")
	if ! wait "$build"; then
		say "the desktop did not build: the stack keeps running (Ctrl+C stops it)"
	else
		deadline=$((SECONDS + 90))
		until curl -fsS -o /dev/null "$api/v1/health"; do
			kill -0 "$backend" 2>/dev/null || { say "the stack exited"; exit 1; }
			[ "$SECONDS" -lt "$deadline" ] || { say "the stack did not answer $api/v1/health within 90 s"; exit 1; }
			sleep 0.3
		done
		say "stack is up: opening the desktop app against $api (sign in as the demo agent above)"
		AGENTDESK_SERVER="$api" desktop/build/bin/agentdesk &
		pids+=("$!")
	fi
fi

# Until the stack exits or Ctrl+C.
set +e
wait "$backend"
rc=$?
exit "$rc"
