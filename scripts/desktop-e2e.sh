#!/usr/bin/env bash
# End-to-end tests of the desktop (desktop/e2e, node --test + playwright-core
# driving Debian's Chromium) against two `wails dev` instances (real Go
# bindings at http://127.0.0.1:<port>) and the real local stack, all started
# here on free ports, under Xvfb; each instance has its own D-Bus session with
# an unlocked gnome-keyring, its own HOME and config (so a device of its own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'desktop-e2e: %s\n' "$*" >&2; }
fail() { printf 'desktop-e2e: FAIL: %s\n' "$*" >&2; exit 1; }
DEADLINE="${DEADLINE:-240}"

work="$(mktemp -d "${TMPDIR:-/tmp}/agentdesk-e2e.XXXXXX")"
pids=()
cleanup() {
	local p g
	# instances a test launched (and may have left running)
	for g in "$work"/*/pgid; do [ -f "$g" ] && pids+=("-$(cat "$g")"); done
	for p in "${pids[@]}"; do kill -TERM -- "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL -- "$p" 2>/dev/null || true; wait "${p#-}" 2>/dev/null || true; done
	if [ "${KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
. scripts/lib/desktop-harness.sh

# e2e packages
e2e=desktop/e2e
hash="$(cat $e2e/package.json $e2e/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat $e2e/node_modules/.agentdesk-installed 2>/dev/null)" != "$hash" ]; then
	npm ci --prefix $e2e --no-audit --no-fund --loglevel=error >&2
	printf '%s\n' "$hash" >$e2e/node_modules/.agentdesk-installed
fi
[ -f desktop/frontend/dist/index.html ] || scripts/desktop-build.sh >&2

# the stack
start_local_stack
export E2E_API="http://$AGENTDESK_API_ADDR" E2E_SES="http://$AGENTDESK_SES_ADDR"
export E2E_EMAIL="$DEMO_EMAIL" E2E_PASSWORD="$DEMO_PASSWORD"

start_xvfb

# Two wails dev instances (no AGENTDESK_SERVER: the wizard starts at the
# server step). -m -nosyncgomod: leave go.mod alone; -skipbindings: the
# frontend does not use wailsjs/; -s -assetdir: the built frontend.
start_dev() { # name port [nokeyring]
	local name="$1" p="$2" home="$work/$1" keyring='printf pw | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null'
	# nokeyring: no D-Bus session at all, so no Secret Service (and nothing to
	# activate one): the "credentials not saved" path.
	[ "${3:-}" = nokeyring ] && keyring='export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/agentdesk-e2e'
	mkdir -p "$home"
	cat >"$home/run.sh" <<RUN
#!/usr/bin/env bash
$keyring
cd "$ROOT/desktop"
exec go tool wails dev -tags webkit2_41 -m -nosyncgomod -skipbindings -s -noreload -nogorebuild \
	-assetdir frontend/dist -devserver 127.0.0.1:$p -loglevel Warning
RUN
	chmod +x "$home/run.sh"
	# launch.sh starts the instance in the foreground; run it as the leader
	# of a process group of its own (setsid here, detached by the relaunch
	# test), which it records in $home/pgid for the cleanup.
	cat >"$home/launch.sh" <<LAUNCH
#!/usr/bin/env bash
echo \$\$ >"$home/pgid"
exec env -u AGENTDESK_SERVER HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \\
	GOPATH="$(go env GOPATH)" GOMODCACHE="$(go env GOMODCACHE)" GOCACHE="$(go env GOCACHE)" \\
	LANG=C.UTF-8 dbus-run-session -- "$home/run.sh" >>"$work/$name.log" 2>&1
LAUNCH
	chmod +x "$home/launch.sh"
	[ "${4:-}" = later ] && return
	setsid "$home/launch.sh" &
	pids+=("-$!")
}
p1="$(free_port)"; p2="$(free_port)"; p3="$(free_port)"
start_dev app1 "$p1"
sleep 5 # let the first build fill the Go cache the others reuse
start_dev app2 "$p2"
start_dev app3 "$p3" nokeyring
# app4: started and stopped by the relaunch tests (E2E_APP4_LAUNCH).
p4="$(free_port)"
start_dev app4 "$p4" "" later
export E2E_APP1="http://127.0.0.1:$p1" E2E_APP2="http://127.0.0.1:$p2" E2E_APP3="http://127.0.0.1:$p3"
export E2E_APP4="http://127.0.0.1:$p4" E2E_APP4_LAUNCH="$work/app4/launch.sh"
end=$((SECONDS + DEADLINE))
for u in "$E2E_APP1" "$E2E_APP2" "$E2E_APP3"; do
	until curl -fs -o /dev/null "$u/"; do
		[ "$SECONDS" -lt "$end" ] || fail "wails dev did not serve $u: $(tail -n 20 "$work"/app*.log)"
		sleep 1
	done
done
say "stack $E2E_API, apps $E2E_APP1 $E2E_APP2 $E2E_APP3 (no keyring)"
export E2E_SHOTS="${E2E_SHOTS:-$work/shots}"
mkdir -p "$E2E_SHOTS"
(cd $e2e && node --test --test-concurrency=1 tests/)
