#!/bin/sh
# tests/scale/run.sh - three udp-replyd replicas behind an nftables balancer,
# on one machine, in network namespaces joined by veth pairs and a bridge.
#
#   run.sh           the test (root; CI): below
#   run.sh --bench   replies/s through the balancer with 1, 2 and 3
#                    replicas, DNAT and DSR, with the CPU time of each part
#                    (the figures of the "Measured figures" of docs/scale-out.md); not a test
#
# One L2 segment (the bridge br0, in namespace sw), addresses from the
# documentation ranges (RFC 5737), on these veths only:
#
#   c      the client     198.51.100.2/24, the VIP via 198.51.100.1
#   lb     the balancer   198.51.100.1/24 and 192.0.2.1/24, forwarding,
#                         nftables, the health check (healthcheck.sh)
#   r1-r3  the replicas   192.0.2.11-13/24, default via 192.0.2.1;
#                         udp-replyd on 0.0.0.0:20001, workers = 1, reply
#                         "%{hostname} %{payload}"; each also in a mount and
#                         UTS namespace of its own (hostname r1..r3) with a
#                         private systemd-journald, the daemon logging to it
#                         (--log-target=journal), and systemd-journal-upload
#                         shipping it to the collector
#   log    the collector  192.0.2.50/24, systemd-journal-remote
#                         --listen-http, one journal file
#   VIP    203.0.113.10, port 20001
#
# The test, in order (the client is scaleprobe.c: datagram i from source
# port i mod 256, its payload i; the reply names the replica and i):
#  1. DSR: the VIP on each replica's lo (arp_ignore/arp_announce so that
#     they never answer ARP for it) and the client's subnet on-link, so the
#     replies go straight to the client. The balancer's netdev ingress hook
#     rewrites the destination MAC to a replica's (jhash of source address
#     and port over a map of 6 slots) and forwards the frame (fwd) back to
#     the segment: no IP header is touched, no conntrack. 10,000 datagrams:
#     each gets exactly one reply, from VIP:20001 (the daemon replies from
#     the address each request was sent to, IP_PKTINFO), every replica
#     answers a share (>= 10%), and no reply passes the balancer (its
#     counter of frames from the VIP stays 0). Each replica's own counters
#     (STATUS=) show at least the replies the client counted from it.
#  2. DNAT: no VIP on the replicas, their replies routed via the balancer;
#     nftables DNAT to jhash over the same 6 slots, conntrack un-NATs the
#     replies. The same 10,000 datagrams and checks.
#  3. Failover, DNAT: a steady 2,000 datagrams/s; r3 is stopped (SIGTERM);
#     healthcheck.sh (udpsend against each replica every 0.1 s, down after
#     2 failures) rewrites the map and deletes r3's conntrack entries, since
#     conntrack pins each flow to the replica it started on; then 1,000
#     more datagrams from the same 256 source ports (r3's among them) must
#     all be answered, by r1 and r2 only. The loss during the switch is
#     measured and printed, not judged: it depends on the check interval.
#  4. The journals: r1 and r2 stopped too; the collector's one journal
#     holds records of all three, told apart by _HOSTNAME, each replica's
#     stop record among them, and for each the datagram records plus the
#     not-logged counts of its summaries and of its stop record add up to
#     the UDP_RECEIVED of its stop record (nothing was lost on the way).
#     The rate limit: the replicas exempt the client's /24 (one address
#     sending thousands a second), the health checks stay limited; the
#     stop records show no datagram dropped by policy, and each replica's
#     UDP_REPLIED is at least the replies the client counted from it.
#
# Neighbour entries are static, so no burst waits for ARP. No fixed sleeps:
# every wait polls, bounded. Every namespace and process is removed on
# exit. It takes 7-9 s on a 2-core machine. Needs root, iproute2,
# nftables, conntrack, jq and systemd-journal-remote (which has
# systemd-journal-upload too).
#
# Environment: as tests/lib.sh (top_builddir, UDP_REPLYD, UDPSEND,
# UDPPROBE, UDP_REPLYD_NO_SKIP, UDP_REPLYD_TEST_WAIT, UDP_REPLYD_KEEP_TMP),
# and SCALEPROBE (default $top_builddir/tests/scaleprobe, else compiled
# from scaleprobe.c with ${CC:-cc}). --bench: BENCH_SECONDS (5) per load,
# BENCH_FLOWS (64) source ports, BENCH_WINDOW (256) datagrams in flight,
# BENCH_PERF (auto: 1 when perf record -a works) for where the CPU went.
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck disable=SC2034 # lib.sh's, for its messages
TEST_NAME=scale

MODE="test"
case ${1:-} in
'') ;;
--bench) MODE=bench ;;
*) hard_error "usage: run.sh [--bench]" ;;
esac

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables)"
for _t in ip nft conntrack nsenter unshare jq journalctl; do
	command -v "$_t" >/dev/null || skip "$_t not installed"
done
JOURNALD=
for _d in /lib/systemd /usr/lib/systemd; do
	[ -x "$_d/systemd-journald" ] && JOURNALD=$_d/systemd-journald
	[ -x "$_d/systemd-journal-remote" ] && JOURNAL_REMOTE=$_d/systemd-journal-remote
	[ -x "$_d/systemd-journal-upload" ] && JOURNAL_UPLOAD=$_d/systemd-journal-upload
done
[ -n "$JOURNALD" ] || skip "systemd-journald not installed"
if [ -z "${JOURNAL_REMOTE:-}" ] || [ -z "${JOURNAL_UPLOAD:-}" ]; then
	skip "systemd-journal-remote not installed (package systemd-journal-remote)"
fi

if [ -z "${SCALEPROBE:-}" ]; then
	SCALEPROBE=$top_builddir/tests/scaleprobe
	if [ ! -x "$SCALEPROBE" ]; then
		SCALEPROBE=$T/scaleprobe
		${CC:-cc} -O2 -Wall -Wextra -o "$SCALEPROBE" "$here/scaleprobe.c" ||
			hard_error "cannot compile $here/scaleprobe.c"
	fi
fi
[ -x "$SCALEPROBE" ] || hard_error "$SCALEPROBE is not built"

UPLOADS=		# the journal-upload processes
NS=udprs$$		# namespace names: $NS-c, $NS-lb, ...
VIP=203.0.113.10
PORT=20001
CLIENT=198.51.100.2
CLIENT_NET=198.51.100.0/24
LB_FRONT=198.51.100.1
LB_MAC=02:00:00:00:00:01
COLLECTOR=192.0.2.50
SLOTS=6
MSGID=$UDP_REPLYD_MSGID
_netns=

replica_addr() { echo "192.0.2.1$1"; }
replica_mac() { echo "02:00:00:00:00:1$1"; }

# ---- namespaces ----

# in_ns NAME CMD...: CMD in namespace NAME's network (nsenter, not "ip netns
# exec", which mounts a /sys of its own without the cgroup tree that
# journald wants). A background process is started with nsenter itself,
# not this function, so that $! is the process (nsenter execs CMD).
in_ns() {
	_in=$1
	shift
	nsenter --net="/run/netns/$NS-$_in" -- "$@"
}

# ns_sysctl NAME KEY=VALUE...: sysctl -w in namespace NAME, without procps
# (/proc/sys/net is the namespace of whoever opens it).
ns_sysctl() {
	_sn=$1
	shift
	for _kv in "$@"; do
		# shellcheck disable=SC2016 # expanded by the inner shell
		in_ns "$_sn" sh -c 'echo "$2" >"$1"' sh "/proc/sys/$(echo "${_kv%%=*}" | tr . /)" \
			"${_kv#*=}" || return 1
	done
}

_scale_cleanup() {
	_sc_rc=$?
	set +e
	# journal-upload first, while journald and the collector still run: it
	# then finishes at once, where otherwise it may hang in its transfer.
	for _u in $UPLOADS; do
		kill -TERM "$_u" 2>/dev/null
	done
	# shellcheck disable=SC2086 # a list of pids
	poll_until 3 all_gone $UPLOADS
	# A namespace whose name is deleted lives on until its last process has
	# gone (lib.sh ends them next); its veths and the bridge go with it.
	for _n in $_netns; do
		ip netns del "$_n" 2>/dev/null
	done
	(exit "$_sc_rc")
	_lib_cleanup
}
trap _scale_cleanup EXIT

add_ns() {
	ip netns add "$NS-$1" || hard_error "ip netns add $NS-$1 failed"
	_netns="$_netns $NS-$1"
	ip -n "$NS-$1" link set lo up
	# No IPv6: no router solicitations or DAD in the measurements.
	ns_sysctl "$1" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		2>/dev/null || true
}

# plug NAME MAC ADDR/LEN...: a veth from NAME's e0 to the bridge.
plug() {
	_pn=$1 _pm=$2
	shift 2
	ip -n "$NS-sw" link add "p-$_pn" type veth peer name e0 netns "$NS-$_pn" ||
		hard_error "cannot make a veth pair for $_pn"
	ip -n "$NS-sw" link set "p-$_pn" master br0 up
	ip -n "$NS-$_pn" link set e0 address "$_pm" up
	for _pa in "$@"; do
		ip -n "$NS-$_pn" addr add "$_pa" dev e0
	done
}

net_up() {
	for _n in sw c lb r1 r2 r3 log; do
		add_ns "$_n"
	done
	ip -n "$NS-sw" link add br0 type bridge || hard_error "cannot make a bridge"
	ip -n "$NS-sw" link set br0 up
	# A switch: no netfilter on bridged frames (br_netfilter may be loaded).
	ns_sysctl sw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
		net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
	plug c 02:00:00:00:00:02 "$CLIENT/24"
	ip -n "$NS-c" route add default via "$LB_FRONT"
	plug lb "$LB_MAC" "$LB_FRONT/24" 192.0.2.1/24
	# It forwards between two subnets on one interface: no redirects.
	ns_sysctl lb net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.e0.send_redirects=0
	for _k in 1 2 3; do
		plug "r$_k" "$(replica_mac "$_k")" "$(replica_addr "$_k")/24"
		ip -n "$NS-r$_k" route add default via 192.0.2.1
		# DSR: the VIP on lo must not be announced or answered for on e0.
		ns_sysctl "r$_k" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	done
	plug log 02:00:00:00:00:50 "$COLLECTOR/24"
	# Static neighbours: a burst from 256 source ports would otherwise
	# queue behind an ARP resolution, whose queue holds 101 packets
	# (unres_qlen), and lose one now and then.
	_hosts="c=02:00:00:00:00:02=$CLIENT lb=$LB_MAC=$LB_FRONT lb=$LB_MAC=192.0.2.1
		log=02:00:00:00:00:50=$COLLECTOR"
	for _k in 1 2 3; do
		_hosts="$_hosts r$_k=$(replica_mac "$_k")=$(replica_addr "$_k")"
	done
	for _n in c lb r1 r2 r3 log; do
		for _h in $_hosts; do
			[ "${_h%%=*}" != "$_n" ] || continue
			_ha=${_h##*=} _hm=${_h#*=}
			ip -n "$NS-$_n" neigh replace "$_ha" lladdr "${_hm%=*}" dev e0 nud permanent
		done
	done
	# Can this kernel do what the test needs? (netdev fwd, numgen/jhash maps, NAT)
	in_ns lb nft -f - <<EOT || skip "nftables cannot load the balancer's rules on this kernel"
table netdev probe {
	map m { typeof numgen inc mod 2 : ether daddr; }
	chain c {
		type filter hook ingress device "e0" priority 0;
		ip daddr $VIP udp dport $PORT ether daddr set jhash ip saddr . udp sport mod 2 map @m fwd to "e0"
	}
}
table ip probe {
	map m { typeof numgen inc mod 2 : ip daddr; }
	chain c {
		type nat hook prerouting priority dstnat;
		ip daddr $VIP udp dport $PORT dnat to jhash ip saddr . udp sport mod 2 map @m
	}
}
EOT
	in_ns lb nft delete table netdev probe
	in_ns lb nft delete table ip probe
}

# ---- the balancer ----

# Both maps are declared "typeof numgen": the key is the same 32-bit integer
# that jhash gives, and nft 1.0.6 crashes listing a map "typeof jhash ...".
lb_dsr() {
	in_ns lb nft -f - <<EOT || fail "cannot load the DSR rules"
table netdev scale {
	map backends { typeof numgen inc mod $SLOTS : ether daddr; }
	chain ingress {
		type filter hook ingress device "e0" priority 0;
		# DSR: the replies never come this way
		ip saddr $VIP counter
		ip daddr $VIP udp dport $PORT ether saddr set $LB_MAC \\
			ether daddr set jhash ip saddr . udp sport mod $SLOTS map @backends fwd to "e0"
	}
}
EOT
}

lb_dnat() {
	in_ns lb nft -f - <<EOT || fail "cannot load the DNAT rules"
table ip scale {
	map backends { typeof numgen inc mod $SLOTS : ip daddr; }
	chain prerouting {
		type nat hook prerouting priority dstnat;
		ip daddr $VIP udp dport $PORT dnat to jhash ip saddr . udp sport mod $SLOTS map @backends
	}
}
EOT
}

# replicas_dsr / replicas_dnat: the replicas' side of each.
replicas_dsr() {
	for _k in 1 2 3; do
		ip -n "$NS-r$_k" addr add "$VIP/32" dev lo
		ip -n "$NS-r$_k" route add "$CLIENT_NET" dev e0
	done
}

replicas_dnat() {
	for _k in 1 2 3; do
		ip -n "$NS-r$_k" addr del "$VIP/32" dev lo
		ip -n "$NS-r$_k" route del "$CLIENT_NET" dev e0
	done
}

# healthcheck MODE [ARGS]: start healthcheck.sh in lb, wait for its map.
HEALTH_PID=
HEALTH_OUT=
healthcheck() {
	HEALTH_OUT=$T/health-$1.out
	: >"$HEALTH_OUT"
	nsenter --net="/run/netns/$NS-lb" -- env UDPSEND="$UDPSEND" sh "$here/healthcheck.sh" -i 0.1 -w 0.5 -f 2 -s "$SLOTS" -T 300 \
		"$@" "$PORT" "r1=$(replica_addr 1)=$(replica_mac 1)" \
		"r2=$(replica_addr 2)=$(replica_mac 2)" "r3=$(replica_addr 3)=$(replica_mac 3)" \
		>"$HEALTH_OUT" 2>"$T/health-$1.err" </dev/null &
	HEALTH_PID=$!
	track_pid "$HEALTH_PID"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q ' serving r1 r2 r3$' "$HEALTH_OUT" ||
		fail "healthcheck.sh $1 did not write the map: $(cat "$T/health-$1.err")"
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	poll_until "$UDP_REPLYD_TEST_WAIT" _gone "$1" || fail "process $1 did not stop"
	wait "$1" 2>/dev/null || true
	untrack_pid "$1"
}

_gone() {
	! alive "$1"
}

# ---- the replicas ----

# The mount and UTS namespace of a replica: its own /run/systemd and
# /run/log, its host name, and a journald (as tests/lib.sh's
# start_private_journald); every other process of the replica joins it.
# shellcheck disable=SC2016 # expanded by the inner shell
REPLICA_NS_SH='
set -e
for d in /run/systemd /run/log; do
	mkdir -p "$d"
	mount -t tmpfs -o mode=0755,size=256m tmpfs "$d"
done
hostname "$1"
mkdir -p /run/systemd/journald.conf.d
cat >/run/systemd/journald.conf.d/scale.conf <<EOT
[Journal]
Storage=volatile
RuntimeMaxUse=128M
RateLimitIntervalSec=0
RateLimitBurst=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
ForwardToConsole=no
Audit=no
EOT
exec "$2"'

# write_replica_conf FILE LOG_DATAGRAMS
write_replica_conf() {
	cat >"$1" <<EOT
address = "0.0.0.0";
port = $PORT;
reply = "%{hostname} %{payload}";
workers = 1;
log_datagrams = $2;
# One client address sends thousands a second: its /24 is exempt. Anything
# else (the health checks) keeps a limit; per replica, so N replicas let a
# prefix through N times the rate when the balancer spreads its flows.
rate_limit = {
	rate = 100;
	burst = 200;
	exempt = ["$CLIENT_NET"];
};
EOT
}

# start_replica K: journald, journal-upload, the daemon (its pid in RD_K).
start_replica() {
	_k=$1
	start_notify "$T/r$_k-journald.sock" "$T/r$_k-journald.out"
	NOTIFY_SOCKET=$T/r$_k-journald.sock nsenter --net="/run/netns/$NS-r$_k" -- \
		unshare --mount --uts --propagation private -- sh -c "$REPLICA_NS_SH" sh "r$_k" "$JOURNALD" \
		>"$T/r$_k-journald.err" 2>&1 </dev/null &
	_jp=$!
	track_pid "$_jp"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x -F READY=1 "$T/r$_k-journald.out" ||
		hard_error "r$_k's journald sent no READY=1: $(cat "$T/r$_k-journald.err")"
	nsenter -t "$_jp" -m -u -n -- "$JOURNAL_UPLOAD" --url="http://$COLLECTOR:19532" \
		-D /run/log/journal >"$T/r$_k-upload.err" 2>&1 </dev/null &
	track_pid "$!"
	UPLOADS="$UPLOADS $!"
	write_replica_conf "$T/r$_k.conf" true
	start_notify "$T/r$_k-notify.sock" "$T/r$_k-notify.out"
	NOTIFY_SOCKET=$T/r$_k-notify.sock nsenter -t "$_jp" -m -u -n -- \
		"$UDP_REPLYD" -c "$T/r$_k.conf" --log-target=journal \
		>"$T/r$_k.out" 2>"$T/daemon-r$_k.log" </dev/null &
	eval "RD_$_k=\$!"
	track_pid "$!"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x -F READY=1 "$T/r$_k-notify.out" ||
		fail "r$_k sent no READY=1"
}

start_collector() {
	mkdir -p "$T/collector"
	start_notify "$T/collector.sock" "$T/collector.out"
	NOTIFY_SOCKET=$T/collector.sock nsenter --net="/run/netns/$NS-log" -- "$JOURNAL_REMOTE" \
		--listen-http="$COLLECTOR:19532" --output="$T/collector/all.journal" \
		--split-mode=none >"$T/collector.err" 2>&1 </dev/null &
	track_pid "$!"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x -F READY=1 "$T/collector.out" ||
		hard_error "systemd-journal-remote sent no READY=1: $(cat "$T/collector.err")"
}

# replied_status K: the replies in r K's last STATUS= line.
replied_status() {
	sed -n 's/^STATUS=.* \([0-9][0-9]*\) replied, .*/\1/p' "$T/r$1-notify.out" | tail -n 1
}

_status_at_least() {
	_sa=$(replied_status "$1")
	[ "${_sa:-0}" -ge "$2" ]
}

# ---- the client ----

# val FILE KEY: a "KEY VALUE" line's value (0 when absent).
val() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"
}

# replica_val FILE KIND NAME: the count of "KIND NAME N" (0 when absent).
replica_val() {
	awk -v k="$2" -v n="$3" '$1 == k && $2 == n { v = $3 } END { print v + 0 }' "$1"
}

# probe OUT ARGS...: scaleprobe in the client namespace.
probe() {
	_po=$1
	shift
	_prc=0
	in_ns c "$SCALEPROBE" "$@" >"$_po" 2>"$_po.err" </dev/null || _prc=$?
	[ "$_prc" = 0 ] || fail "scaleprobe $* exited $_prc: $(cat "$_po.err") $(tr '\n' ' ' <"$_po")"
}

# check_all_answered OUT COUNT WHAT: every datagram exactly one reply, from
# the VIP, each replica a share.
check_all_answered() {
	_o=$1 _n=$2 _w=$3
	assert_eq "$(val "$_o" sent)" "$_n" "$_w: datagrams sent"
	for _key in lost duplicates wrong_source misrouted malformed send_errors; do
		assert_eq "$(val "$_o" "$_key")" 0 "$_w: $_key"
	done
	assert_eq "$(val "$_o" replied)" "$_n" "$_w: datagrams answered"
	_sum=0
	for _k in 1 2 3; do
		_c=$(replica_val "$_o" replica "r$_k")
		[ "$_c" -ge $((_n / 10)) ] || fail "$_w: r$_k answered $_c of $_n, wanted >= 10%"
		_sum=$((_sum + _c))
	done
	assert_eq "$_sum" "$_n" "$_w: replies of r1 + r2 + r3"
	note "$_w: $_n datagrams from 256 source ports, each answered once from $VIP:$PORT;" \
		"r1 $(replica_val "$_o" replica r1), r2 $(replica_val "$_o" replica r2)," \
		"r3 $(replica_val "$_o" replica r3); $(val "$_o" reply_rate) replies/s"
}

# check_status OUT...: each replica's own counters (STATUS=, refreshed once a
# second) reach the replies the client counted from it in these runs.
check_status() {
	for _k in 1 2 3; do
		_want=0
		for _o in "$@"; do
			_want=$((_want + $(replica_val "$_o" replica "r$_k")))
		done
		poll_until "$UDP_REPLYD_TEST_WAIT" _status_at_least "$_k" "$_want" ||
			fail "r$_k's STATUS= says $(replied_status "$_k") replied, the client counted $_want"
	done
}

# ---- the test ----

test_main() {
	_t0=$(_lib_now_ms)
	COUNT=10000
	net_up
	start_collector
	for _k in 1 2 3; do
		start_replica "$_k"
	done
	note "namespaces, collector and replicas up in $(($(_lib_now_ms) - _t0)) ms"

	# 1. DSR
	replicas_dsr
	lb_dsr
	healthcheck dsr
	probe "$T/dsr.out" -n 256 -w 256 -t 60 "$VIP" "$PORT" "$COUNT"
	check_all_answered "$T/dsr.out" "$COUNT" DSR
	_back=$(in_ns lb nft list chain netdev scale ingress | sed -n "s/.*ip saddr $VIP counter packets \([0-9]*\) .*/\1/p")
	assert_eq "$_back" 0 "DSR: replies seen by the balancer"
	check_status "$T/dsr.out"
	stop_pid "$HEALTH_PID"
	in_ns lb nft delete table netdev scale

	# 2. DNAT
	replicas_dnat
	lb_dnat
	healthcheck dnat
	probe "$T/dnat.out" -n 256 -w 256 -t 60 "$VIP" "$PORT" "$COUNT"
	check_all_answered "$T/dnat.out" "$COUNT" DNAT
	check_status "$T/dsr.out" "$T/dnat.out"

	# 3. failover: r3 stopped under a steady load
	_fo=$T/failover.out
	nsenter --net="/run/netns/$NS-c" -- "$SCALEPROBE" -n 256 -w 4096 -r 2000 -m 1000 -T 1000 -t 60 -e 1 \
		"$VIP" "$PORT" 120000 >"$_fo" 2>"$_fo.err" </dev/null &
	_probe=$!
	track_pid "$_probe"
	poll_until 30 grep -q -x mark "$_fo" || fail "failover: the client did not send 1000 datagrams"
	_kill=$(_lib_now_ms)
	stop_pid "$RD_3"
	# The serving line comes after the map is written and the entries deleted.
	poll_until 30 grep -q ' serving r1 r2$' "$HEALTH_OUT" ||
		fail "failover: r3 not taken out of the map: $(cat "$HEALTH_OUT")"
	_down=$(sed -n 's/^\([0-9]*\) down r3$/\1/p' "$HEALTH_OUT")
	[ -n "$_down" ] || fail "failover: no down line for r3: $(cat "$HEALTH_OUT")"
	kill -USR1 "$_probe"
	poll_until 30 _gone "$_probe" || fail "failover: the client did not finish"
	_prc=0
	wait "$_probe" || _prc=$?
	untrack_pid "$_probe"
	[ "$_prc" = 0 ] || fail "failover: scaleprobe exited $_prc: $(cat "$_fo.err")"
	for _key in duplicates wrong_source misrouted malformed; do
		assert_eq "$(val "$_fo" "$_key")" 0 "failover: $_key"
	done
	assert_eq "$(val "$_fo" tail_sent)" 1000 "failover: datagrams sent after the switch"
	assert_eq "$(val "$_fo" tail_replied)" 1000 "failover: answered after the switch"
	assert_eq "$(replica_val "$_fo" tail_replica r3)" 0 "failover: r3's replies after the switch"
	for _k in 1 2; do
		[ "$(replica_val "$_fo" tail_replica "r$_k")" -gt 0 ] ||
			fail "failover: r$_k answered nothing after the switch"
	done
	_lost=$(val "$_fo" lost)
	_sent=$(val "$_fo" sent)
	_window=0
	[ "$_lost" = 0 ] || _window=$(($(val "$_fo" loss_last_ms) - $(val "$_fo" loss_first_ms)))
	note "failover: r3 stopped (SIGTERM) under 2000 datagrams/s from 256 source ports;" \
		"the health check moved its share after $((_down - _kill)) ms;" \
		"lost $_lost of $_sent datagrams, over ${_window} ms;" \
		"then 1000 from the same ports: r1 $(replica_val "$_fo" tail_replica r1)," \
		"r2 $(replica_val "$_fo" tail_replica r2), r3 0, none lost"
	stop_pid "$HEALTH_PID"

	# 4. one journal
	for _k in 1 2; do
		eval "stop_pid \"\$RD_$_k\""
	done
	_t1=$(_lib_now_ms)
	poll_until 30 _three_stop_records ||
		fail "the collector has $(_stop_records) stop records of 3: $(cat "$T/collector.err" "$T"/r*-upload.err)"
	note "the collector had the three stop records $(($(_lib_now_ms) - _t1)) ms after the last stop"
	check_journal
	note "the whole test took $(($(_lib_now_ms) - _t0)) ms"
}

_stop_records() {
	journalctl -D "$T/collector" -o json -a --no-pager "MESSAGE_ID=${MSGID}05" \
		2>/dev/null | wc -l
}

_three_stop_records() {
	[ "$(_stop_records)" -ge 3 ]
}

# check_journal: the collector's journal, one line per _HOSTNAME.
check_journal() {
	journalctl -D "$T/collector" -o json -a --no-pager \
		--output-fields=MESSAGE_ID,_HOSTNAME,UDP_REMOTE_ADDR,UDP_RECEIVED,UDP_REPLIED,UDP_NOT_LOGGED,UDP_POLICY_DROPS \
		>"$T/collector.json" 2>"$T/journalctl.err" ||
		fail "journalctl -D on the collector failed: $(cat "$T/journalctl.err")"
	# HOST STOPS RECEIVED REPLIED NOT_LOGGED_AT_STOP POLICY RECORDS FROM_CLIENT SUMMARISED
	jq -r -s --arg m "$MSGID" --arg c "$CLIENT" '
		map(select(._HOSTNAME != null)) | group_by(._HOSTNAME)[] |
		map(select(.MESSAGE_ID == $m + "05")) as $stop |
		map(select(.MESSAGE_ID == $m + "01")) as $dg |
		[.[0]._HOSTNAME, ($stop | length), $stop[0].UDP_RECEIVED // -1,
		 $stop[0].UDP_REPLIED // -1, $stop[0].UDP_NOT_LOGGED // -1,
		 $stop[0].UDP_POLICY_DROPS // 0, ($dg | length),
		 ($dg | map(select(.UDP_REMOTE_ADDR == $c)) | length),
		 (map(select(.MESSAGE_ID == $m + "06") | .UDP_NOT_LOGGED // "0" | tonumber) | add // 0)]
		| map(tostring) | join(" ")' "$T/collector.json" >"$T/collector.txt" ||
		fail "jq on the collector's records failed"
	assert_eq "$(awk '{ print $1 }' "$T/collector.txt" | tr '\n' ' ')" "r1 r2 r3 " \
		"the _HOSTNAMEs in the collector's journal"
	while read -r _h _stops _received _replied _left _policy _records _from_client _summarised; do
		assert_eq "$_stops" 1 "$_h: stop records"
		[ "$_from_client" -gt 0 ] || fail "no datagram record of $_h's from the client in the collector"
		assert_eq "$_policy" 0 "$_h: datagrams dropped by policy"
		assert_eq "$((_records + _summarised + _left))" "$_received" \
			"$_h: records $_records + summarised $_summarised + not logged at stop $_left against UDP_RECEIVED"
		_client=0
		for _o in "$T/dsr.out" "$T/dnat.out" "$T/failover.out"; do
			_client=$((_client + $(replica_val "$_o" replica "$_h")))
		done
		[ "$_replied" -ge "$_client" ] ||
			fail "$_h's stop record says $_replied replied, the client counted $_client"
		note "collector: _HOSTNAME=$_h: stop record $_received received, $_replied replied;" \
			"$_records datagram records ($_from_client from the client)," \
			"$((_summarised + _left)) not logged one by one"
	done <"$T/collector.txt"
}

# ---- the bench ----

# cpu_ticks: "busy steal" of /proc/stat's cpu line, in ticks (busy: user,
# nice, system, irq, softirq; steal: taken by the hypervisor).
cpu_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat
}

# pid_ticks PID...: utime + stime of these processes, in ticks. With tick
# accounting a process's stime includes the softirq work its sends start:
# on one machine a datagram crosses every namespace in its sender's context.
pid_ticks() {
	for _p in "$@"; do
		sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null | awk '{ print $12 + $13 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}

start_bench_replica() {
	_k=$1
	write_replica_conf "$T/r$_k.conf" false
	start_notify "$T/r$_k-notify.sock" "$T/r$_k-notify.out"
	# shellcheck disable=SC2016 # expanded by the inner shell
	NOTIFY_SOCKET=$T/r$_k-notify.sock nsenter --net="/run/netns/$NS-r$_k" -- unshare --uts -- \
		sh -c 'hostname "$1"; shift; exec "$@"' sh "r$_k" \
		"$UDP_REPLYD" -c "$T/r$_k.conf" --log-target=console \
		>"$T/r$_k.out" 2>"$T/daemon-r$_k.log" </dev/null &
	eval "RD_$_k=\$!"
	track_pid "$!"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x -F READY=1 "$T/r$_k-notify.out" ||
		fail "r$_k sent no READY=1"
}

# set_backends MODE N: the map with r1..rN, once.
set_backends() {
	_sb=
	_k=1
	while [ "$_k" -le "$2" ]; do
		_sb="$_sb r$_k=$(replica_addr "$_k")=$(replica_mac "$_k")"
		_k=$((_k + 1))
	done
	# shellcheck disable=SC2086 # one word per replica
	in_ns lb env UDPSEND="$UDPSEND" sh "$here/healthcheck.sh" -o -s "$SLOTS" "$1" "$PORT" $_sb \
		>/dev/null || fail "cannot write the $1 map"
	in_ns lb conntrack -F >/dev/null 2>&1 || true
}

# perf_split DATA RATE: where the CPU time went, from a system-wide
# cpu-clock profile: idle and other processes' share (% of both CPUs), the
# replies/s that both CPUs would give at this cost per reply ("2cpu"), then
# microseconds of CPU per reply in: ours (all but idle and others), the
# client's user space, the replicas', netfilter (nft, conntrack, NAT: the
# balancer's rules), the bridge (the switch), veth, scheduling and wakeups,
# and the rest of the kernel (sockets, UDP/IP, routing, syscalls).
perf_split() {
	perf report -i "$1" --no-children --sort comm,dso,sym -q --stdio --percent-limit 0 \
		2>/dev/null | awk -v rate="$2" '
	{
		p = $1; sub(/%/, "", p); comm = $2; k = $4; sym = $5
		if (comm == "swapper" && sym ~ /halt|idle|mwait/)
			c = "idle"
		else if (comm != "udp-replyd" && comm != "scaleprobe" && comm != "swapper" &&
			 comm !~ /^ksoftirqd/)
			c = "others"
		else if (k == "[.]")
			c = comm == "scaleprobe" ? "client" : "replicas"
		else if (sym ~ /^(br_|__br_|nbp_)/)
			c = "bridge"
		else if (sym ~ /^(nft_|__nft|nf_|__nf_|ipv4_conntrack|hash_conntrack|jhash)/)
			c = "netfilter"
		else if (sym ~ /^veth_/)
			c = "veth"
		else if (sym ~ /finish_task_switch|_raw_spin_unlock_irq|schedule|wake_up|ttwu|enqueue_task|dequeue_task|update_curr|select_task_rq|pick_next|psi_/)
			c = "sched"
		else
			c = "kernel"
		s[c] += p
	}
	END {
		ours = 100 - s["idle"] - s["others"]
		# a share of both CPUs, per reply, in microseconds
		f = rate > 0 ? 2 * 1e6 / 100 / rate : 0
		printf "%4.0f%% %4.0f%% %7.0f  %5.1f  %5.1f %5.1f %5.1f %5.1f %5.1f %5.1f %5.1f",
			s["idle"], s["others"], (ours > 0 ? 2e6 / (ours * f) : 0), ours * f,
			s["client"] * f, s["replicas"] * f, s["netfilter"] * f,
			s["bridge"] * f, s["veth"] * f, s["sched"] * f, s["kernel"] * f
	}'
}

# bench_load LABEL DEST N: one load; a row of the table.
bench_load() {
	_label=$1 _dest=$2 _n=$3
	_out=$T/bench-$_label-$_n.out
	_tk=$(getconf CLK_TCK)
	read -r _busy0 _steal0 <<EOT
$(cpu_ticks)
EOT
	_rep0=$(pid_ticks "$RD_1" "$RD_2" "$RD_3")
	_ms0=$(_lib_now_ms)
	_perf=
	if [ "$BENCH_PERF" = 1 ]; then
		perf record -q -a -e cpu-clock -o "$T/perf-$_label-$_n.data" -- sleep "$BENCH_SECONDS" \
			>/dev/null 2>"$T/perf.err" &
		_perf=$!
		track_pid "$_perf"
	fi
	probe "$_out" -n "$BENCH_FLOWS" -w "$BENCH_WINDOW" -d "$BENCH_SECONDS" \
		-t $((BENCH_SECONDS + 30)) -e 0.2 -q 0.2 "$_dest" "$PORT" 10000000
	_ms=$(($(_lib_now_ms) - _ms0))
	read -r _busy _steal <<EOT
$(cpu_ticks)
EOT
	_rep=$(($(pid_ticks "$RD_1" "$RD_2" "$RD_3") - _rep0))
	if [ -n "$_perf" ]; then
		poll_until $((BENCH_SECONDS + 30)) _gone "$_perf" || fail "perf record hangs"
		wait "$_perf" || fail "perf record failed: $(cat "$T/perf.err")"
		untrack_pid "$_perf"
	fi
	_rate=$(val "$_out" reply_rate)
	_split=
	[ -z "$_perf" ] || _split=$(perf_split "$T/perf-$_label-$_n.data" "$_rate")
	awk -v l="$_label" -v n="$_n" -v r="$_rate" -v rep="$(val "$_out" replied)" \
		-v lost="$(val "$_out" lost)" -v tk="$_tk" -v ms="$_ms" \
		-v busy="$((_busy - _busy0))" -v steal="$((_steal - _steal0))" \
		-v cli="$(val "$_out" cpu_seconds)" -v srv="$_rep" -v perfsplit="$_split" -v out="$_out" '
	BEGIN {
		while ((getline line < out) > 0) {
			split(line, f, " ")
			if (f[1] == "replica")
				shares = shares sprintf("%s%d", shares == "" ? "" : "/", 100 * f[3] / rep + 0.5)
		}
		s = ms / 1000
		printf "%-6s %d %7.0f %5.2f%% %-8s %4.0f%% %3.0f%% %4.0f%% %4.0f%%  %s\n", l, n, r,
			100 * lost / (rep + lost), shares, 100 * busy / tk / s, 100 * steal / tk / s,
			100 * cli / s, 100 * srv / tk / s, perfsplit
	}'
}

bench_main() {
	: "${BENCH_SECONDS:=5}" "${BENCH_FLOWS:=64}" "${BENCH_WINDOW:=256}" "${BENCH_PERF:=auto}"
	if [ "$BENCH_PERF" = auto ]; then
		BENCH_PERF=0
		command -v perf >/dev/null && perf record -q -a -e cpu-clock -o "$T/perf-probe.data" \
			-- true >/dev/null 2>&1 && BENCH_PERF=1
	fi
	net_up
	for _k in 1 2 3; do
		start_bench_replica "$_k"
	done
	note "$(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	note "each load: $BENCH_SECONDS s, $BENCH_FLOWS source ports, $BENCH_WINDOW datagrams in flight"
	note "busy, steal: /proc/stat, % of one CPU (200% = both); client, replicas: their CPU time"
	[ "$BENCH_PERF" = 0 ] || note "then from perf record -a: idle and other processes (% of both" \
		"CPUs), replies/s if both CPUs were ours at this cost (2cpu), and microseconds of CPU" \
		"per reply: ours (all but idle and others), client and replicas user space," \
		"netfilter, bridge, veth, scheduling/wakeups, rest of the kernel"
	printf '# %s\n' "mode   N replies/s lost  shares% busy steal client replicas | idle other    2cpu   ours client repl    nf bridge  veth sched kernel"
	# direct: no balancer, the client and r1 on-link to each other
	in_ns c ip route add 192.0.2.0/24 dev e0
	ip -n "$NS-r1" route add "$CLIENT_NET" dev e0
	bench_load direct "$(replica_addr 1)" 1
	# route: the balancer routes both ways, no rules
	in_ns c ip route del 192.0.2.0/24 dev e0
	ip -n "$NS-r1" route del "$CLIENT_NET" dev e0
	bench_load route "$(replica_addr 1)" 1
	lb_dnat
	for _n in 1 2 3; do
		set_backends dnat "$_n"
		bench_load dnat "$VIP" "$_n"
	done
	in_ns lb nft delete table ip scale
	replicas_dsr
	lb_dsr
	for _n in 1 2 3; do
		set_backends dsr "$_n"
		bench_load dsr "$VIP" "$_n"
	done
	note "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ "$MODE" = bench ]; then
	bench_main
else
	test_main
fi
