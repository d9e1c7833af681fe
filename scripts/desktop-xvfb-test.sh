#!/usr/bin/env bash
# Smoke test of the shipped desktop binary under Xvfb: starts
# desktop/build/bin/agentdesk with no server configured (AGENTDESK_SERVER
# unset, a fresh HOME and XDG dirs) so that it shows the server step, waits
# for its window, takes a screenshot, and checks that the window is mapped,
# at least 500x500, that it declares a 500x500 minimum (WM_NORMAL_HINTS), and
# that the screenshot is not blank. Prints "rendered after <s>s": the time from
# launch to the first painted screen (the benchmark reads it).
#
#   scripts/desktop-xvfb-test.sh [binary]
# Screenshots go to a temporary directory (printed; KEEP_SHOTS=1 keeps it),
# never into the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/desktop/build/bin/agentdesk}"
DEADLINE="${DEADLINE:-30}"
say() { printf 'desktop-xvfb: %s\n' "$*"; }
fail() { printf 'desktop-xvfb: FAIL: %s\n' "$*" >&2; exit 1; }
[ -x "$BIN" ] || fail "$BIN is missing: run make desktop"

work="$(mktemp -d "${TMPDIR:-/tmp}/agentdesk-xvfb.XXXXXX")"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "${KEEP_SHOTS:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

. scripts/lib/desktop-harness.sh
start_xvfb

# CACHE_DIR: keep XDG_CACHE_HOME (fontconfig, WebKit caches) across runs, as
# on a real desktop; the default is a fresh one.
cache="${CACHE_DIR:-$work/cache}"
mkdir -p "$work/home" "$work/config" "$work/data" "$cache" "$work/shots"
# A copy: a concurrent `wails build -clean` removes desktop/build/bin.
cp "$BIN" "$work/agentdesk"
BIN="$work/agentdesk"
start=$(date +%s.%N)
env -u AGENTDESK_SERVER HOME="$work/home" XDG_CONFIG_HOME="$work/config" \
	XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$cache" LANG=C.UTF-8 \
	"$BIN" >"$work/app.log" 2>&1 &
app=$!
pids=("$app" "${pids[@]}")

win=""
end=$((SECONDS + DEADLINE))
while [ -z "$win" ]; do
	kill -0 "$app" 2>/dev/null || fail "the app exited: $(tail -20 "$work/app.log")"
	[ "$SECONDS" -lt "$end" ] || fail "no visible AgentDesk window within ${DEADLINE}s"
	win="$(xdotool search --onlyvisible --name '^AgentDesk$' 2>/dev/null | head -1 || true)"
	[ -n "$win" ] || sleep 0.1
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
say "window $win visible after ${elapsed}s"

geo="$(xdotool getwindowgeometry "$win")"
size="$(sed -n 's/.*Geometry: \([0-9]*\)x\([0-9]*\).*/\1 \2/p' <<<"$geo")"
read -r w h <<<"$size"
say "geometry ${w}x${h}"
[ "${w:-0}" -ge 500 ] && [ "${h:-0}" -ge 500 ] || fail "window is ${w}x${h}, below the 500x500 minimum"
hints="$(xprop -id "$win" WM_NORMAL_HINTS)"
minsize="$(sed -n 's/.*program specified minimum size: \([0-9]*\) by \([0-9]*\).*/\1 \2/p' <<<"$hints")"
read -r mw mh <<<"$minsize"
say "declared minimum ${mw:-none}x${mh:-none}"
[ "${mw:-0}" -ge 500 ] && [ "${mh:-0}" -ge 500 ] || fail "the window does not declare a 500x500 minimum: $hints"

# Wait for the frontend to paint the first step (a blank webview is one or
# two colours), then keep that screenshot.
shot="$work/shots/server-step.png"
colours=0
while :; do
	import -window root "$shot"
	colours="$(convert "$shot" -format '%k' info:)"
	[ "$colours" -gt 16 ] && break
	[ "$SECONDS" -lt "$end" ] || fail "the window stayed blank for ${DEADLINE}s (${colours} colours)"
	sleep 0.05
done
rendered=$(echo "$(date +%s.%N) - $start" | bc)
say "rendered after ${rendered}s"
sleep "${SETTLE:-0.5}"
import -window root "$shot"
say "screenshot $shot"
kill -0 "$app" 2>/dev/null || fail "the app exited after showing its window: $(tail -20 "$work/app.log")"
if [ -n "${SHOT_OUT:-}" ]; then cp "$shot" "$SHOT_OUT"; say "copied to $SHOT_OUT"; fi
say "ok"
