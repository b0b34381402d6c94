#!/bin/sh
# healthcheck.sh - the health check of an nftables balancer in front of
# udp-replyd replicas (run by tests/scale/run.sh in its balancer namespace;
# the loop that docs/scale-out.md describes). nftables' numgen and jhash
# have no health check of their own: this loop asks each replica with
# udpsend, and rewrites the map that the balancing rule looks up.
#
# usage: healthcheck.sh [-i SECONDS] [-w SECONDS] [-f FALLS] [-r RISES]
#                       [-s SLOTS] [-T SECONDS] [-o] MODE PORT NAME=ADDR[=MAC]...
#
# MODE dnat: the map is "ip scale backends", slot -> replica address, read by
#            a rule such as
#              ip daddr VIP udp dport PORT \
#                dnat to jhash ip saddr . udp sport mod SLOTS map @backends
#            Conntrack pins each flow to the replica its first datagram went
#            to, so when a replica goes down its entries are deleted
#            (conntrack -D --reply-src ADDR) after the map no longer names
#            it: the next datagram of such a flow is balanced anew.
# MODE dsr:  the map is "netdev scale backends", slot -> replica MAC, read by
#            a netdev ingress rule that rewrites the destination MAC and
#            forwards the frame (fwd) to the replicas' segment; no conntrack.
#
# The map has SLOTS entries (default 6), slot s naming live replica
# s mod (number live): with SLOTS a multiple of 1, 2 and 3 the share is even
# for up to three replicas; more replicas want more slots (60 for up to 5).
# Each round (every -i SECONDS, default 0.1) asks every replica at once:
# `udpsend -q -t WAIT ADDR PORT health`, the ADDR its own address (not the
# VIP), WAIT from -w (default 0.5). A replica is down after FALLS failed
# rounds in a row (default 2), and up again after RISES good ones (2). A
# stopped daemon fails at once (ICMP port unreachable: udpsend exits 3),
# so it is out after FALLS x interval; a silent host after FALLS x WAIT.
# WAIT well above the interval keeps a replica that is slow under load
# (a busy CPU) from being taken out.
# Every change rewrites the map in one nft transaction. It starts with every
# replica up, writes the map, and prints one line per change:
#   MS serving NAME...          (MS: milliseconds since the epoch)
#   MS down NAME                (the map and conntrack no longer send to it)
#   MS up NAME
# -o: write the map with every replica up, print the serving line, exit.
# -T SECONDS: stop after that long (default 600), so the loop is bounded.
#
# Environment: UDPSEND (default: udpsend from PATH).
set -eu

interval=0.1 timeout=0.5 falls=2 rises=2 slots=6 limit=600 once=0
while getopts i:w:f:r:s:T:o opt; do
	case $opt in
	i) interval=$OPTARG ;;
	w) timeout=$OPTARG ;;
	f) falls=$OPTARG ;;
	r) rises=$OPTARG ;;
	s) slots=$OPTARG ;;
	T) limit=$OPTARG ;;
	o) once=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || {
	echo "usage: healthcheck.sh [-i S] [-w S] [-f N] [-r N] [-s N] [-T S] [-o] dnat|dsr PORT NAME=ADDR[=MAC]..." >&2
	exit 2
}
mode=$1 port=$2
shift 2
case $mode in
dnat) table="ip scale" ;;
dsr) table="netdev scale" ;;
*) echo "healthcheck.sh: MODE is dnat or dsr, not $mode" >&2 && exit 2 ;;
esac
: "${UDPSEND:=udpsend}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/healthcheck.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

now_ms() {
	date +%s%3N
}

# addr NAME=ADDR[=MAC]: the replica's address; value: what the map holds.
addr() {
	_rest=${1#*=}
	echo "${_rest%%=*}"
}

value() {
	if [ "$mode" = dsr ]; then
		echo "${1##*=}"
	else
		addr "$1"
	fi
}

# write_map: the live replicas into the map, in one transaction.
write_map() {
	# shellcheck disable=SC2086 # one word per replica
	set -- $live
	{
		echo "flush map $table backends"
		if [ $# -gt 0 ]; then
			printf 'add element %s backends {' "$table"
			_s=0
			while [ "$_s" -lt "$slots" ]; do
				eval "_r=\${$((_s % $# + 1))}"
				printf ' %d : %s,' "$_s" "$(value "$_r")"
				_s=$((_s + 1))
			done
			echo ' }'
		fi
	} | nft -f -
}

names() {
	for _r in $live; do
		printf ' %s' "${_r%%=*}"
	done
}

live=$*
write_map
echo "$(now_ms) serving$(names)"
[ "$once" = 0 ] || exit 0

# Per replica (NAME: letters, digits, _): failed and good rounds in a row,
# and whether it is down.
for r in "$@"; do
	eval "fails_${r%%=*}=0 goods_${r%%=*}=0 down_${r%%=*}=0"
done

interval_ms=$(awk -v s="$interval" 'BEGIN { printf "%d", s * 1000 }')
deadline=$(($(now_ms) + limit * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
	round_end=$(($(now_ms) + interval_ms))
	for r in "$@"; do
		# udpsend exits 0 on a reply, 3 when refused (nothing listens), 1 on silence.
		(rc=0
		 "$UDPSEND" -q -t "$timeout" "$(addr "$r")" "$port" health >/dev/null 2>&1 || rc=$?
		 echo "$rc" >"$dir/${r%%=*}") &
	done
	wait
	changes=
	for r in "$@"; do
		n=${r%%=*}
		eval "f=\$fails_$n g=\$goods_$n d=\$down_$n"
		if [ "$(cat "$dir/$n")" = 0 ]; then
			f=0 g=$((g + 1))
		else
			f=$((f + 1)) g=0
		fi
		if [ "$d" = 0 ] && [ "$f" -ge "$falls" ]; then
			d=1 changes="$changes down:$r"
		elif [ "$d" = 1 ] && [ "$g" -ge "$rises" ]; then
			d=0 changes="$changes up:$r"
		fi
		eval "fails_$n=$f goods_$n=$g down_$n=$d"
	done
	if [ -n "$changes" ]; then
		live=
		for r in "$@"; do
			eval "[ \"\$down_${r%%=*}\" = 1 ] || live=\"\$live \$r\""
		done
		write_map
		for c in $changes; do
			r=${c#*:}
			case $c in
			down:*)
				# Its flows stay pinned to it in conntrack: delete them,
				# and each flow's next datagram is balanced anew.
				if [ "$mode" = dnat ]; then
					conntrack -D -p udp --reply-src "$(addr "$r")" >/dev/null 2>&1 || true
				fi
				echo "$(now_ms) down ${r%%=*}"
				;;
			up:*)
				echo "$(now_ms) up ${r%%=*}"
				;;
			esac
		done
		echo "$(now_ms) serving$(names)"
	fi
	# Pacing (not a wait for readiness): the rest of the round.
	while [ "$(now_ms)" -lt "$round_end" ]; do
		sleep 0.02 # poll: the round's pacing, not a wait for readiness
	done
done
