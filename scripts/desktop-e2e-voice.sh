#!/usr/bin/env bash
# End to end of the Desktop station's softphone, as an agent uses it: the
# voice lab (Kamailio, rtpengine, baresip) in a network namespace of its
# own, and inside it the local stack (with the lab's SIP settings) and
# `wails dev` (real Go bindings, the test audio backend: a tone out, what
# comes in recorded), driven in Debian's Chromium by
# desktop/e2e/softphone.test.mjs. Root only (the namespace); it says SKIP
# otherwise. KEEP=1 keeps the work directory (logs, recordings).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'desktop-e2e-voice: %s\n' "$*" >&2; }
fail() {
	printf 'desktop-e2e-voice: FAIL: %s\n' "$*" >&2
	exit 1
}
DEADLINE="${DEADLINE:-300}"
APP_TONE_HZ=600 # what the app sends (the customer sends 1000 Hz)

if [ "${1:-}" != inside ]; then
	if [ "$(id -u)" != 0 ]; then
		say "SKIP: needs root (the voice lab makes a network namespace)"
		exit 0
	fi
	work="$(mktemp -d /tmp/agentdesk-e2e-voice.XXXXXX)"
	export VOICE_LAB_NETNS="agentdesk-e2ev-$$" VOICE_LAB_DIR="$work/voice"
	outer_cleanup() {
		scripts/voice-lab.sh down >/dev/null 2>&1 || say "voice-lab down failed: see $work"
		if [ "${KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
	}
	trap outer_cleanup EXIT
	# What needs the network (npm) or is slow, before the namespace (which
	# has none).
	e2e=desktop/e2e
	hash="$(cat $e2e/package.json $e2e/package-lock.json | sha256sum | cut -d' ' -f1)"
	if [ "$(cat $e2e/node_modules/.agentdesk-installed 2>/dev/null)" != "$hash" ]; then
		npm ci --prefix $e2e --no-audit --no-fund --loglevel=error >&2
		printf '%s\n' "$hash" >$e2e/node_modules/.agentdesk-installed
	fi
	say "building the frontend, the local stack and the recording checker"
	npm run build --prefix desktop/frontend --silent >"$work/frontend-build.log" 2>&1 || fail "frontend build: $(tail "$work/frontend-build.log")"
	(cd desktop && go build -o "$work/tonecheck" ./e2e/tonecheck)
	rc=0
	scripts/voice-lab.sh up >"$work/lab-up.log" 2>&1 || rc=$?
	if [ "$rc" = 3 ]; then
		say "SKIP: $(tail -n 1 "$work/lab-up.log")"
		exit 0
	fi
	[ "$rc" = 0 ] || fail "the voice lab did not start: $(tail -n 20 "$work/lab-up.log")"
	set -a
	# shellcheck disable=SC1091 # written by voice-lab.sh up
	. "$VOICE_LAB_DIR/lab.env"
	set +a
	rc=0
	ip netns exec "$VOICE_LAB_NETNS" env WORK="$work" GOPROXY=off "$0" inside || rc=$?
	[ "$rc" = 0 ] || say "lab logs: $(scripts/voice-lab.sh status 2>&1 | tail -n 5)"
	exit "$rc"
fi

# ---- inside the lab's namespace -----------------------------------------------
work="$WORK"
e2e=desktop/e2e
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM -- "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do
		kill -KILL -- "$p" 2>/dev/null || true
		wait "${p#-}" 2>/dev/null || true
	done
}
trap cleanup EXIT
. scripts/lib/desktop-harness.sh


start_local_stack # with SIP_WS_URI, SIP_DOMAIN, AGENTDESK_DEMO_SIP_PASSWORD from lab.env
start_xvfb

port="$(free_port)"
home="$work/app"
mkdir -p "$home" "$work/app-audio"
cat >"$home/run.sh" <<RUN
#!/usr/bin/env bash
printf pw | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null
# A notification server on this session, and a record of what it is asked
# (the incoming call's notification).
/usr/lib/notification-daemon/notification-daemon >"$work/notification-daemon.log" 2>&1 &
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" >"$work/notify.log" 2>&1 &
cd "$ROOT/desktop"
exec go tool wails dev -tags webkit2_41 -m -nosyncgomod -skipbindings -s -noreload -nogorebuild \
	-assetdir frontend/dist -devserver 127.0.0.1:$port -loglevel Warning
RUN
chmod +x "$home/run.sh"
setsid env AGENTDESK_SERVER="http://$AGENTDESK_API_ADDR" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
	AGENTDESK_AUDIO="tone:$APP_TONE_HZ" AGENTDESK_AUDIO_RECORD="$work/app-audio" \
	GOPATH="$(go env GOPATH)" GOMODCACHE="$(go env GOMODCACHE)" GOCACHE="$(go env GOCACHE)" \
	LANG=C.UTF-8 dbus-run-session -- "$home/run.sh" >"$work/app.log" 2>&1 &
pids+=("-$!")
end=$((SECONDS + DEADLINE))
until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do
	[ "$SECONDS" -lt "$end" ] || fail "wails dev did not serve :$port: $(tail -n 20 "$work/app.log")"
	sleep 1
done
say "stack $AGENTDESK_API_ADDR, app 127.0.0.1:$port, lab $SIP_WS_URI"

export E2E_APP="http://127.0.0.1:$port" E2E_EMAIL="$DEMO_EMAIL" E2E_PASSWORD="$DEMO_PASSWORD" E2E_ROOT="$ROOT" \
	E2E_TONECHECK="$work/tonecheck" E2E_APP_AUDIO="$work/app-audio" E2E_APP_TONE_HZ="$APP_TONE_HZ" \
	E2E_APP_LOG="$work/app.log" E2E_NOTIFY_LOG="$work/notify.log" E2E_SHOTS="${E2E_SHOTS:-$work/shots}"
mkdir -p "$E2E_SHOTS"
rc=0
(cd $e2e && node --test --test-concurrency=1 softphone.test.mjs) || rc=$?
if [ "$rc" != 0 ]; then
	say "app log (tail):"
	grep -v 'password' "$work/app.log" | tail -n 40 >&2 || true
fi
exit "$rc"
