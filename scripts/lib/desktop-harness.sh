# Pieces the desktop scripts share (desktop-xvfb-test, desktop-e2e,
# desktop-bench); sourced, not run. The caller defines `fail`, a `pids`
# array its cleanup kills, and a `work` directory.

# free_port prints a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_xvfb starts Xvfb on the first free display and exports DISPLAY.
# Other jobs on the machine pick displays too: when two take the same free
# number at once, one Xvfb exits ("server already active"); that one moves
# on to the next number instead of using the other's display.
start_xvfb() {
	local n=99 xpid tries=0
	while :; do
		while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
		Xvfb ":$n" -screen 0 1280x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
		xpid=$!
		for _ in $(seq 1 50); do
			{ [ -e "/tmp/.X11-unix/X$n" ] || ! kill -0 "$xpid" 2>/dev/null; } && break
			sleep 0.1
		done
		sleep 0.2 # a loser exits right after finding the other's lock
		if kill -0 "$xpid" 2>/dev/null && [ -e "/tmp/.X11-unix/X$n" ]; then break; fi
		kill "$xpid" 2>/dev/null || true
		wait "$xpid" 2>/dev/null || true
		tries=$((tries + 1))
		[ "$tries" -lt 5 ] || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
		n=$((n + 1))
	done
	pids+=("$xpid")
	export DISPLAY=":$n"
}

# start_local_stack runs agentdesk-local on free ports (AGENTDESK_*_ADDR
# exported), waits for its banner (printed after the demo seed) and sets
# STACK_PID, DEMO_EMAIL and DEMO_PASSWORD (the demo agent's).
start_local_stack() {
	export AGENTDESK_API_ADDR="127.0.0.1:$(free_port)" AGENTDESK_SES_ADDR="127.0.0.1:$(free_port)" \
		AGENTDESK_DYNAMODB_ADDR="127.0.0.1:$(free_port)" AGENTDESK_PUSH_ADDR="127.0.0.1:$(free_port)"
	go build -o "$work/agentdesk-local" ./infra/cmd/agentdesk-local
	"$work/agentdesk-local" >"$work/stack.log" 2>&1 &
	STACK_PID=$!
	pids+=("$STACK_PID")
	local end=$((SECONDS + 60))
	until grep -q 'agent  *agent@' "$work/stack.log"; do
		kill -0 "$STACK_PID" 2>/dev/null || fail "the stack exited: $(tail "$work/stack.log")"
		[ "$SECONDS" -lt "$end" ] || fail "the stack did not start: $(tail "$work/stack.log")"
		sleep 0.2
	done
	DEMO_EMAIL="$(sed -n 's/.*agent  *\(agent@[^ ]*\)  *password \([^ ]*\).*/\1/p' "$work/stack.log")"
	DEMO_PASSWORD="$(sed -n 's/.*agent  *\(agent@[^ ]*\)  *password \([^ ]*\).*/\2/p' "$work/stack.log")"
	[ -n "$DEMO_PASSWORD" ] || fail "no demo agent password in the stack's output"
}
