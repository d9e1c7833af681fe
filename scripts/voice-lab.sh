#!/usr/bin/env bash
# The AgentDesk voice lab: Kamailio (registrar/proxy, SIP over UDP and
# WebSocket), rtpengine (WebRTC <-> plain RTP) and three baresip user agents
# (customer, tone, echo), all inside a network namespace of their own.
#
#   scripts/voice-lab.sh up          start (idempotent); prints the status
#   scripts/voice-lab.sh down        stop everything by PID, remove the namespace
#   scripts/voice-lab.sh status      what runs, where to connect, credentials
#   scripts/voice-lab.sh env         the same as KEY='value' lines (lab.env)
#   scripts/voice-lab.sh call [TO]   the customer calls TO (default 1001)
#   scripts/voice-lab.sh hangup      the customer hangs up
#   scripts/voice-lab.sh ctrl AGENT COMMAND [PARAMS]
#                                    any baresip command (help lists them)
#   scripts/voice-lab.sh exec CMD..  run CMD inside the namespace
#   scripts/voice-lab.sh restart-kamailio
#                                    restart Kamailio (registrations are lost:
#                                    the lab's agents are restarted too)
#
# The namespace holds a veth pair with both ends inside it (169.254.77.1/30
# and .2/30) and a default route over it, so that browsers gather ICE host
# candidates; no traffic leaves the namespace. Nothing listens on the host.
#
# Environment: VOICE_LAB_NETNS (default agentdesk-voice), VOICE_LAB_DIR
# (state, logs, recordings; default <repo>/.local/voice), VOICE_LAB_DOMAIN
# (default voice.agentdesk.test), AGENTDESK_DEMO_SIP_PASSWORD (the demo
# agent 1001's SIP password; otherwise generated once and kept in
# $VOICE_LAB_DIR/subscribers).
#
# Exit status: 0 ok; 1 failure (or, for status, the lab is not up); 2 usage;
# 3 this machine cannot run the lab (not root, or no network namespaces).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATES="$ROOT/infra/voice"
NETNS="${VOICE_LAB_NETNS:-agentdesk-voice}"
STATE="${VOICE_LAB_DIR:-$ROOT/.local/voice}"
DOMAIN="${VOICE_LAB_DOMAIN:-voice.agentdesk.test}"
LAB_IP=169.254.77.1    # veth0: Kamailio, rtpengine; source of the default route
CLIENT_IP=169.254.77.2 # veth1: the baresip user agents
RTPENGINE_NG=127.0.0.1:2223
WS_URI="ws://$LAB_IP:8080"
AGENTS=(customer tone echo)
declare -A CTRL_PORT=([customer]=4441 [tone]=4442 [echo]=4443)
declare -A DIAL=([customer]=9000 [tone]=9001 [echo]=9002)
# Extensions for agents (1001 is the local stack's demo agent) and the lab's
# user agents.
USERS=(1001 1002 1003 customer tone echo)
TIMEOUT="${VOICE_LAB_TIMEOUT:-15}" # seconds per startup step

say() { printf 'voice-lab: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}
unsupported() {
	say "$*"
	exit 3
}

[[ $NETNS =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || {
	say "VOICE_LAB_NETNS must be letters, digits, . _ -"
	exit 2
}
[[ $STATE =~ ^/[A-Za-z0-9_./+-]+$ ]] || {
	say "VOICE_LAB_DIR must be an absolute path of letters, digits, . _ / + - ($STATE)"
	exit 2
}
[[ $DOMAIN =~ ^[a-z0-9.-]+$ ]] || {
	say "VOICE_LAB_DOMAIN must be a lower-case host name"
	exit 2
}

CTL="unix:$STATE/kamailio.ctl"
PIDS="$STATE/pids"

# ---- checks ------------------------------------------------------------

require_root() {
	[[ $(id -u) == 0 ]] || unsupported "needs root (it creates a network namespace): run it as root, e.g. sudo $0 $*"
	command -v ip >/dev/null || unsupported "needs iproute2's ip (apt-get install iproute2)"
}

require_tools() {
	local missing=()
	for bin in kamailio kamcmd rtpengine baresip ss; do
		command -v "$bin" >/dev/null || missing+=("$bin")
	done
	((${#missing[@]} == 0)) || die "missing ${missing[*]}: apt-get install kamailio kamailio-websocket-modules rtpengine-daemon baresip iproute2 (make setup does)"
	[[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so || -n $(find /usr/lib -name websocket.so -path '*kamailio*' -print -quit 2>/dev/null) ]] ||
		die "Kamailio's websocket module is missing: apt-get install kamailio-websocket-modules"
}

# ---- processes -----------------------------------------------------------

# A string that only the component's command line holds (it is there from
# the moment it is started, through setsid and ip netns exec), checked
# before any signal so that a recycled PID is never hit.
marker_of() {
	case $1 in
	rtpengine) echo "$STATE/run/rtpengine.pid" ;;
	kamailio) echo "$STATE/kamailio.cfg" ;;
	*) echo "$STATE/baresip/$1" ;;
	esac
}

# pid_of NAME: the recorded PID when that process still runs.
pid_of() {
	local f="$PIDS/$1" pid cmd
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
	[[ $cmd == *"$(marker_of "$1")"* ]] || return 1
	# A zombie has an empty command line, but be explicit.
	[[ $({ awk '{print $3}' <"/proc/$pid/stat"; } 2>/dev/null) != Z ]] || return 1
	echo "$pid"
}

netns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$NETNS"; }

in_ns() { ip netns exec "$NETNS" "$@"; }

# start NAME CMD...: run CMD in the namespace, detached, logging to
# $STATE/logs/NAME.log; records the PID (setsid and ip netns exec both exec
# in place, so $! is the component itself).
start() {
	local name=$1
	shift
	: >"$STATE/logs/$name.log"
	setsid ip netns exec "$NETNS" "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
	local pid=$! i
	echo "$pid" >"$PIDS/$name"
	# Until the forked shell has exec'd, its command line is this script's:
	# wait for the component's own (or for the child's end) so that pid_of
	# can be trusted from here on.
	for ((i = 0; i < 500; i++)); do
		pid_of "$name" >/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.01
	done
}

# await NAME WHAT CHECK...: poll CHECK until it succeeds, NAME dies, or the
# step's deadline passes.
await() {
	local name=$1 what=$2 deadline=$((SECONDS + TIMEOUT))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! pid_of "$name" >/dev/null; then
			say "$name exited while waiting for $what; last lines of $STATE/logs/$name.log:"
			tail -n 25 "$STATE/logs/$name.log" >&2 || true
			return 1
		fi
		if ((SECONDS >= deadline)); then
			say "timed out after ${TIMEOUT}s waiting for $what; last lines of $STATE/logs/$name.log:"
			tail -n 25 "$STATE/logs/$name.log" >&2 || true
			return 1
		fi
		sleep 0.05
	done
}

# stop NAME: SIGTERM, then (baresip may need it) a second SIGTERM, then
# SIGKILL; each step waits for the process to go.
stop() {
	local name=$1 pid
	if ! pid=$(pid_of "$name"); then
		rm -f "$PIDS/$name"
		return 0
	fi
	local signals=(TERM TERM KILL) i
	for sig in "${signals[@]}"; do
		kill -s "$sig" "$pid" 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do # 3 s
			pid_of "$name" >/dev/null || break 2
			sleep 0.05
		done
	done
	pid_of "$name" >/dev/null && die "$name (PID $pid) does not stop"
	rm -f "$PIDS/$name"
}

components() { echo rtpengine kamailio "${AGENTS[@]}"; }

all_up() {
	netns_exists || return 1
	for c in $(components); do pid_of "$c" >/dev/null || return 1; done
}

any_up() {
	netns_exists && return 0
	for c in $(components); do pid_of "$c" >/dev/null && return 0; done
	return 1
}

# ---- configuration -------------------------------------------------------

password() {
	local p
	p=$(head -c 15 /dev/urandom | base32 | tr -d '=' | tr '[:upper:]' '[:lower:]')
	echo "${p:0:6}-${p:6:6}-${p:12:6}"
}

# subscribers: "user password" lines, kept across runs so that the local
# stack and clients can rely on them; AGENTDESK_DEMO_SIP_PASSWORD wins for
# 1001.
write_subscribers() {
	local f="$STATE/subscribers" tmp u pw
	tmp=$(mktemp "$STATE/.subscribers.XXXXXX")
	for u in "${USERS[@]}"; do
		pw=""
		[[ -f $f ]] && pw=$(awk -v u="$u" '$1 == u {print $2; exit}' "$f")
		if [[ $u == 1001 && -n ${AGENTDESK_DEMO_SIP_PASSWORD:-} ]]; then
			pw=$AGENTDESK_DEMO_SIP_PASSWORD
		fi
		[[ -n $pw ]] || pw=$(password)
		[[ $pw =~ ^[A-Za-z0-9._~+-]+$ ]] || die "SIP password for $u has characters the lab's files cannot carry (use letters, digits, . _ ~ + -)"
		printf '%s %s\n' "$u" "$pw"
	done >"$tmp"
	chmod 600 "$tmp"
	mv "$tmp" "$f"
}

secret() { awk -v u="$1" '$1 == u {print $2; exit}' "$STATE/subscribers"; }

render() { # SRC DST [PASSWORD]
	sed -e "s|@LAB_IP@|$LAB_IP|g" -e "s|@CLIENT_IP@|$CLIENT_IP|g" -e "s|@DOMAIN@|$DOMAIN|g" \
		-e "s|@STATE@|$STATE|g" -e "s|@RTPENGINE_NG@|$RTPENGINE_NG|g" -e "s|@PASSWORD@|${3:-}|g" "$1" >"$2"
}

write_configs() {
	mkdir -p "$STATE/db" "$STATE/run" "$STATE/logs" "$PIDS" "$STATE/wav"
	chmod 700 "$STATE"
	write_subscribers
	# db_text tables for auth_db (plain-text passwords, HA1 computed).
	printf 'table_name(str) table_version(int)\nsubscriber:7\n' >"$STATE/db/version"
	{
		echo 'username(str) domain(str) password(str)'
		while read -r u pw; do printf '%s:%s:%s\n' "$u" "$DOMAIN" "$pw"; done <"$STATE/subscribers"
	} >"$STATE/db/subscriber"
	chmod 600 "$STATE/db/subscriber"
	render "$TEMPLATES/kamailio/kamailio.cfg" "$STATE/kamailio.cfg"
	for a in "${AGENTS[@]}"; do
		mkdir -p "$STATE/baresip/$a" "$STATE/wav/$a"
		render "$TEMPLATES/baresip/$a/config" "$STATE/baresip/$a/config"
		render "$TEMPLATES/baresip/$a/accounts" "$STATE/baresip/$a/accounts" "$(secret "$a")"
		chmod 600 "$STATE/baresip/$a/accounts"
		: >"$STATE/baresip/$a/contacts"
	done
	write_env >"$STATE/lab.env"
}

write_env() {
	cat <<EOF
VOICE_LAB_NETNS='$NETNS'
VOICE_LAB_DIR='$STATE'
SIP_WS_URI='$WS_URI'
SIP_DOMAIN='$DOMAIN'
ICE_SERVERS='[]'
AGENTDESK_DEMO_SIP_EXTENSION='1001'
AGENTDESK_DEMO_SIP_PASSWORD='$(secret 1001)'
VOICE_LAB_SIP_UDP='$LAB_IP:5060'
VOICE_LAB_LAB_IP='$LAB_IP'
VOICE_LAB_CLIENT_IP='$CLIENT_IP'
VOICE_LAB_KAMAILIO_CTL='$CTL'
VOICE_LAB_WAV_DIR='$STATE/wav'
EOF
	for a in "${AGENTS[@]}"; do
		local up=${a^^}
		printf "VOICE_LAB_%s_URI='sip:%s@%s'\nVOICE_LAB_%s_NUMBER='%s'\nVOICE_LAB_%s_CTRL='127.0.0.1:%s'\n" \
			"$up" "$a" "$DOMAIN" "$up" "${DIAL[$a]}" "$up" "${CTRL_PORT[$a]}"
	done
}

# ---- network namespace ----------------------------------------------------

make_netns() {
	local err
	if ! netns_exists; then
		if ! err=$(ip netns add "$NETNS" 2>&1); then
			unsupported "this machine does not permit network namespaces (ip netns add: $err); the voice lab needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN"
		fi
	fi
	ip -n "$NETNS" link set lo up
	if ! ip -n "$NETNS" link show veth0 >/dev/null 2>&1; then
		ip -n "$NETNS" link add veth0 type veth peer name veth1 ||
			unsupported "cannot create a veth pair in the namespace (no veth support in this kernel?)"
		ip -n "$NETNS" addr add "$LAB_IP/30" dev veth0
		ip -n "$NETNS" addr add "$CLIENT_IP/30" dev veth1
	fi
	ip -n "$NETNS" link set veth0 up
	ip -n "$NETNS" link set veth1 up
	# Browsers gather host candidates only for the interface of the default
	# route; it leads nowhere (veth1 is in the same namespace, nothing forwards).
	ip -n "$NETNS" route replace default dev veth0
}

# ---- up / down -----------------------------------------------------------

rtpengine_ready() { grep -q 'Startup complete' "$STATE/logs/rtpengine.log"; }
kamailio_ready() {
	kamcmd -s "$CTL" core.uptime &&
		in_ns ss -Hlnu "src $LAB_IP:5060" | grep -q . &&
		in_ns ss -Hlnt "src $LAB_IP:8080" | grep -q .
}
registered() { kamcmd -s "$CTL" ul.lookup location "$1@$DOMAIN" | grep -q Contact; }
ctrl_listening() { in_ns ss -Hlnt "src 127.0.0.1:${CTRL_PORT[$1]}" | grep -q .; }

start_rtpengine() {
	start rtpengine rtpengine --config-file=none --table=-1 --interface="$LAB_IP" \
		--listen-ng="$RTPENGINE_NG" --port-min=30000 --port-max=30999 \
		--foreground --log-stderr --pidfile="$STATE/run/rtpengine.pid"
	await rtpengine "rtpengine's 'Startup complete'" rtpengine_ready
}

start_kamailio() {
	kamailio -c -f "$STATE/kamailio.cfg" >"$STATE/logs/kamailio-check.log" 2>&1 || {
		tail -n 25 "$STATE/logs/kamailio-check.log" >&2
		say "Kamailio rejects $STATE/kamailio.cfg (see above)"
		return 1
	}
	start kamailio kamailio -f "$STATE/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$STATE/run"
	await kamailio "Kamailio's listeners and control socket" kamailio_ready
}

start_agents() {
	local a
	for a in "${AGENTS[@]}"; do
		start "$a" baresip -s -f "$STATE/baresip/$a"
	done
	for a in "${AGENTS[@]}"; do
		await "$a" "$a's registration" registered "$a" || return 1
		await "$a" "$a's control port" ctrl_listening "$a" || return 1
	done
}

now_ms() { date +%s%3N; }

up() {
	require_root up
	require_tools
	if all_up; then
		say "already up"
		status
		return 0
	fi
	if any_up; then
		say "partly up: tearing down first"
		down
	fi
	local t0
	t0=$(now_ms)
	make_netns
	mkdir -p "$STATE"
	write_configs
	# In this order: Kamailio needs rtpengine's control socket, the agents
	# register with Kamailio.
	start_rtpengine || abort_up
	start_kamailio || abort_up
	start_agents || abort_up
	say "up in $(($(now_ms) - t0)) ms"
	status
}

# Kamailio keeps registrations in memory: after a restart the WebSocket
# clients register again on their own (their connection dropped), the lab's
# agents (UDP, 10-minute registrations, and baresip 1.0.0 has no command
# to re-register) are restarted.
restart_kamailio() {
	require_root restart-kamailio
	all_up || die "the lab is not up"
	local t0 a
	t0=$(now_ms)
	for a in "${AGENTS[@]}"; do stop "$a"; done
	stop kamailio
	start_kamailio || die "Kamailio did not come back"
	start_agents || die "the agents did not register again"
	say "Kamailio restarted in $(($(now_ms) - t0)) ms"
}

abort_up() {
	say "up failed: tearing down"
	down
	exit 1
}

down() {
	require_root down
	local c
	for c in "${AGENTS[@]}" kamailio rtpengine; do stop "$c"; done
	if netns_exists; then
		local left
		left=$(ip netns pids "$NETNS" 2>/dev/null | tr '\n' ' ')
		[[ -z $left ]] || say "processes not started by the lab are still in $NETNS (left alone): $left"
		ip netns del "$NETNS"
	fi
	rm -f "$STATE/kamailio.ctl"
	say "down"
}

# ---- status --------------------------------------------------------------

status() {
	local c pid state=up
	echo "Voice lab (network namespace $NETNS, state $STATE)"
	for c in $(components); do
		if pid=$(pid_of "$c"); then
			printf '  %-10s running, PID %s\n' "$c" "$pid"
		else
			printf '  %-10s not running\n' "$c"
			state=down
		fi
	done
	netns_exists || state=down
	if [[ -f $STATE/subscribers ]]; then
		cat <<EOF

  SIP WebSocket URI  $WS_URI   (inside the namespace)
  SIP over UDP       sip:$LAB_IP:5060
  SIP domain/realm   $DOMAIN
  ICE servers        none needed (host candidates on $LAB_IP)

  Extensions (user / password):
EOF
		while read -r u pw; do
			case $u in
			1001) note="demo agent agent@demo.agentdesk.test (infra/localstack)" ;;
			customer | tone | echo) note="lab user agent, dial $u or ${DIAL[$u]}" ;;
			*) note="spare agent extension" ;;
			esac
			printf '    %-9s %-22s %s\n' "$u" "$pw" "$note"
		done <"$STATE/subscribers"
		cat <<EOF

  customer: calls on command (scripts/voice-lab.sh call 1001), sends 1000 Hz
  tone:     answers at once, sends 440 Hz
  echo:     answers at once, sends back what it receives
  Recordings: $STATE/wav/<agent>/dump-<time>-dec.wav (received), -enc.wav (sent)
  Logs:       $STATE/logs/
  Settings for the local stack: $STATE/lab.env
EOF
		if [[ $state == up ]]; then
			echo
			echo "  Registered:"
			kamcmd -s "$CTL" ul.dump 2>/dev/null | awk '/AoR:/ {printf "    %s\n", $2}' || true
		fi
	fi
	[[ $state == up ]]
}

# ---- customer control (baresip ctrl_tcp, netstrings of JSON) -------------

ctrl() { # AGENT COMMAND PARAMS
	local port=${CTRL_PORT[$1]} json
	[[ $2 =~ ^[a-z_]+$ && ${3:-} =~ ^[A-Za-z0-9@.:\;=_+\ -]*$ ]] || die "bad command or parameter: $2 ${3:-}"
	json=$(printf '{"command":"%s","params":"%s","token":"voice-lab"}' "$2" "${3:-}")
	# shellcheck disable=SC2016 # the script gets its values as arguments
	LC_ALL=C in_ns bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%d:%s," "${#2}" "$2" >&3
		while :; do
			len=""
			while IFS= read -r -N1 -t 5 ch <&3; do
				[[ $ch == : ]] && break
				len+=$ch
			done
			[[ $len =~ ^[0-9]+$ ]] || exit 1
			IFS= read -r -N "$len" -t 5 body <&3 && IFS= read -r -N1 -t 5 ch <&3 || exit 1
			if [[ $body == *"\"response\":true"* ]]; then
				printf "%s\n" "$body"
				[[ $body == *"\"ok\":true"* ]]
				exit
			fi
		done' _ "$port" "$json"
}

call() {
	require_root call
	all_up || die "the lab is not up (scripts/voice-lab.sh up)"
	local to=${1:-1001}
	[[ $to == sip:* ]] || to="sip:$to@$DOMAIN"
	ctrl customer dial "$to"
}

hangup() {
	require_root hangup
	all_up || die "the lab is not up"
	ctrl customer hangup ""
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
env)
	[[ -f $STATE/subscribers ]] || die "no lab state in $STATE (scripts/voice-lab.sh up)"
	write_env
	;;
call)
	shift
	call "$@"
	;;
hangup) hangup ;;
restart-kamailio) restart_kamailio ;;
ctrl)
	shift
	require_root ctrl
	if (($# < 2)) || [[ -z ${CTRL_PORT[$1]:-} ]]; then
		say "usage: $0 ctrl customer|tone|echo COMMAND [PARAMS]"
		exit 2
	fi
	all_up || die "the lab is not up"
	ctrl "$1" "$2" "${3:-}"
	;;
exec)
	shift
	require_root exec
	netns_exists || die "the lab is not up"
	(($# > 0)) || {
		say "usage: $0 exec CMD [ARGS...]"
		exit 2
	}
	exec ip netns exec "$NETNS" "$@"
	;;
*)
	awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0" >&2
	exit 2
	;;
esac
