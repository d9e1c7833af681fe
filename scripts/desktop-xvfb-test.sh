#!/usr/bin/env bash
# Smoke test of the shipped desktop binary under Xvfb: starts
# desktop/build/bin/agentdesk with no server configured (AGENTDESK_SERVER
# unset, a fresh HOME and XDG dirs) so that it shows the server step, waits
# for its window, takes a screenshot, and checks that the window is mapped,
# at least 500x500, that it declares a 500x500 minimum (WM_NORMAL_HINTS), and
# that the first screen is painted and interactive (the server field focused,
# its focus ring on screen). Prints "rendered after <s>s" (first non-blank
# paint) and "interactive after <s>s" (the field focused and painted): the
# times from launch, which the benchmark reads.
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
# Watch the screen from the launch on (scripts/lib/first-paint.py), for the
# focus ring's colour (--focus in the frontend's stylesheet).
focus="$(sed -n 's/^ *--focus: *#\([0-9a-fA-F]\{6\}\);.*/\1/p' "$ROOT/desktop/frontend/src/app.css")"
[ -n "$focus" ] || fail "no --focus colour (#rrggbb) in desktop/frontend/src/app.css"
"$ROOT/scripts/lib/first-paint.py" "$start" "$DEADLINE" "$focus" >"$work/paint" 2>&1 &
probe=$!
pids+=("$probe")

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

# Wait for the frontend to paint the server step with its field focused.
wait "$probe" || fail "the first screen did not come up: $(cat "$work/paint"); app log: $(tail -20 "$work/app.log")"
rendered="$(sed -n 's/^painted //p' "$work/paint")"
interactive="$(sed -n 's/^interactive //p' "$work/paint")"
say "rendered after ${rendered}s"
say "interactive after ${interactive}s"
shot="$work/shots/server-step.png"
sleep "${SETTLE:-0.5}"
import -window root "$shot"
say "screenshot $shot"
kill -0 "$app" 2>/dev/null || fail "the app exited after showing its window: $(tail -20 "$work/app.log")"
if [ -n "${SHOT_OUT:-}" ]; then cp "$shot" "$SHOT_OUT"; say "copied to $SHOT_OUT"; fi

# A second launch on the same desktop brings the first window forward and
# ends (SingleInstanceLock, per D-Bus session). The window is hidden the way
# a window manager minimises one (unmapped; Xvfb runs none) and another
# window has the focus; the second launch must exit with 0, the first window
# must be mapped and focused again, and there must still be one window.
if [ "${SINGLE_INSTANCE:-1}" = 1 ]; then
	[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || fail "no D-Bus session for the second-launch check: run under dbus-run-session (or SINGLE_INSTANCE=0)"
	xmessage -geometry 300x80+20+20 "another application" >/dev/null 2>&1 &
	pids+=("$!")
	other="$(timeout 10 xdotool search --sync --onlyvisible --class '^Xmessage$' | head -1)" || fail "xmessage did not show"
	xdotool windowunmap --sync "$win"
	xdotool windowfocus --sync "$other"
	[ -z "$(xdotool search --onlyvisible --name '^AgentDesk$' 2>/dev/null)" ] || fail "the AgentDesk window is still visible after unmapping it"
	[ "$(xdotool getwindowfocus)" = "$other" ] || fail "could not give the focus to another window"
	set +e
	env -u AGENTDESK_SERVER HOME="$work/home" XDG_CONFIG_HOME="$work/config" \
		XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$cache" LANG=C.UTF-8 \
		timeout 20 "$BIN" >"$work/second.log" 2>&1
	status=$?
	set -e
	[ "$status" = 0 ] || fail "the second launch exited with $status (124: still running after 20s): $(tail -5 "$work/second.log")"
	say "second launch exited with 0: $(grep -o 'msg="[^"]*"' "$work/second.log" | tail -1)"
	end=$((SECONDS + 10))
	until [ "$(xdotool search --onlyvisible --name '^AgentDesk$' 2>/dev/null | tr '\n' ' ')" = "$win " ] && [ "$(xdotool getwindowfocus)" = "$win" ]; do
		[ "$SECONDS" -lt "$end" ] || fail "the first window did not come forward: visible [$(xdotool search --onlyvisible --name '^AgentDesk$' | tr '\n' ' ')], focus $(xdotool getwindowfocus), expected $win"
		sleep 0.1
	done
	kill -0 "$app" 2>/dev/null || fail "the first instance exited"
	[ "$(pgrep -cxf "$BIN")" = 1 ] || fail "$(pgrep -cxf "$BIN") app processes, expected 1"
	say "the first window is visible and focused again, the only one"
fi
say "ok"
