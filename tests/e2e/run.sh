#!/bin/bash
# tests/e2e/run.sh - udp-replyd end to end, the way a user meets it:
#
#   1. build the two .debs from this tree (dpkg-buildpackage), lintian them
#   2. a minimal Debian 12 root (debootstrap minbase), cached as a tarball
#   3. boot it with systemd-nspawn, wait until systemd is up
#   4. install the .debs and use them: reply, journal record, reload, broken
#      config, port move, status counters, sandbox, kill -9, a 20,000
#      datagram burst, systemd's IPAddressDeny= on the socket, purge
#   5. power the container off; remove every process, mount, cgroup and
#      file this made, whatever happened
#
# Run as root: tests/e2e/run.sh (or "make check-e2e"). Exit 0 passed,
# 1 failed (the step, why, and the container's journal tail are printed),
# 77 skipped: not root or no systemd-nspawn; with UDP_REPLYD_NO_SKIP=1 a skip
# is a failure, as CI wants.
#
# Environment:
#   UDP_REPLYD_NO_SKIP=1        fail instead of skipping
#   UDP_REPLYD_E2E_CACHE=DIR    root tarball cache (/var/cache/udp-replyd-e2e)
#   UDP_REPLYD_E2E_MIRROR=URI   Debian mirror for debootstrap (default: the
#                               host's apt source for the suite)
#   UDP_REPLYD_E2E_DEB_CHECK=1  run "make check" inside the package build too
#                               (off by default: CI runs it on its own)
#   UDP_REPLYD_E2E_KEEP=1       keep the work directory (not the container)
#   UDP_REPLYD_E2E_BURST=N      datagrams in the burst (20000)
# shellcheck disable=SC2317 # functions called through wait_for and traps
# shellcheck disable=SC2015 # "A && B || die" is meant: die if either fails
# shellcheck disable=SC2016 # $(...) in single quotes is apt's and dpkg's format
set -uo pipefail

SUITE=bookworm
# The packages' dependencies must be in the root: the container has no
# network. procps is there for /bin/kill (the service's ExecReload=).
INCLUDE=systemd,systemd-sysv,dbus,libconfig9,procps
CACHE=${UDP_REPLYD_E2E_CACHE:-/var/cache/udp-replyd-e2e}
BURST=${UDP_REPLYD_E2E_BURST:-20000}
MSGID=4f0d5f1c8a6e4b7fa3c1d2e9b8a7f6	# + 01 datagram .. 05 stopped
# shellcheck disable=SC2034 # in_ct (lib.sh) uses it
CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}

T0=$SECONDS
PASSED=0
STEP="0 (start)"
WORK='' ROOT='' NSPAWN_PID='' LEADER='' MACHINE='' TORN_DOWN=''
CGROUPS=()

# ---------------------------------------------------------------- reporting

skip() {
	say "SKIP: $*"
	if [ "${UDP_REPLYD_NO_SKIP:-0}" = 1 ]; then
		say "FAIL: e2e would skip, and UDP_REPLYD_NO_SKIP=1 forbids it"
		exit 1
	fi
	exit 77
}

# Print what the container said last: its journal (live, or the files it
# left on disk), and nspawn's console.
journal_tail() {
	say "---- container journal, last 80 lines ----"
	if [ -n "$LEADER" ] && kill -0 "$LEADER" 2>/dev/null; then
		T=20 in_ct journalctl -b --no-pager -n 80 -o short-monotonic 2>&1
	elif [ -n "$ROOT" ] && [ -d "$ROOT/var/log/journal" ]; then
		timeout 20 journalctl -D "$ROOT/var/log/journal" --no-pager -n 80 \
			-o short-monotonic 2>&1
	else
		say "(no container journal)"
	fi
	if [ -n "$WORK" ] && [ -s "$WORK/console.log" ]; then
		say "---- systemd-nspawn console, last 20 lines ----"
		tail -n 20 "$WORK/console.log"
	fi
	say "----"
}

die() {
	trap - ERR
	say ""
	say "FAIL: step $STEP: $*"
	journal_tail
	teardown
	say ""
	say "e2e: $PASSED passed, 1 failed ($((SECONDS - T0)) s)"
	exit 1
}

on_err() { die "command failed (exit $1, line $2): $3"; }

# ------------------------------------------------------------- the container

# wait_for SECONDS WHAT CMD...: poll CMD until it succeeds; die after SECONDS.
wait_for() {
	local limit=$1 what=$2 end
	shift 2
	end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || die "timed out after ${limit}s waiting for $what"
		sleep 0.2 # poll
	done
}

# Power off, then remove everything this run made. Safe to call twice and
# from any point of the run.
teardown() {
	local end cg m
	[ -z "$TORN_DOWN" ] || return 0
	TORN_DOWN=1
	trap - ERR
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# nspawn turns SIGTERM into an orderly halt of the container.
		kill -TERM "$NSPAWN_PID" 2>/dev/null
		end=$((SECONDS + 30))
		while kill -0 "$NSPAWN_PID" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
			sleep 0.2 # poll
		done
		if kill -0 "$NSPAWN_PID" 2>/dev/null; then
			say "  warning: the container did not power off in 30 s; killing it"
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		fi
	fi
	[ -z "$NSPAWN_PID" ] || wait "$NSPAWN_PID" 2>/dev/null
	for cg in "${CGROUPS[@]}"; do
		cgroup_kill "$cg"
	done
	for cg in "${CGROUPS[@]}"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	if [ -n "$WORK" ]; then
		# Nothing should be mounted here (nspawn mounts in its own
		# namespace), but never rm -rf through a mount.
		awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 { print $5 }' \
			/proc/self/mountinfo | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
		if [ "${UDP_REPLYD_E2E_KEEP:-0}" = 1 ]; then
			say "  kept $WORK"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	if [ -n "$MACHINE" ]; then
		rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || true
	fi
	return 0
}

trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR
trap 'teardown' EXIT
trap 'die "interrupted"' INT TERM HUP

# ------------------------------------------------------------------- checks

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, systemd-nspawn, cgroups)"
command -v systemd-nspawn >/dev/null 2>&1 ||
	skip "systemd-nspawn not found (apt-get install systemd-container)"
missing=
for tool in debootstrap:debootstrap dpkg-buildpackage:dpkg-dev dh:debhelper \
	    dh_bash-completion:bash-completion lintian:lintian jq:jq \
	    nsenter:util-linux flock:util-linux pgrep:procps timeout:coreutils \
	    zstd:zstd make:make; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] ||
	{ say "FAIL: missing tools; apt-get install$missing (all: tests/e2e/deps)"; exit 1; }

say "udp-replyd e2e: source $srcdir"
WORK=$(mktemp -d /var/tmp/udp-replyd-e2e.XXXXXX) || die "mktemp"
ROOT=$WORK/root

# ================================================================== step 1
step "1: build the .debs (dpkg-buildpackage -us -uc -b) and lintian them"

# Build from a copy, never in the tree: the package build cleans and
# reconfigures, and the tree may be someone's build directory. From git,
# the copy is what "git add" would take (untracked files included, ignored
# ones not); otherwise the tree as it is, without .git.
mkdir "$WORK/build" "$WORK/build/src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -cf - -T -) | tar -xf - -C "$WORK/build/src" ||
		die "cannot copy the source tree"
else
	tar -C "$srcdir" --exclude-vcs -cf - . | tar -xf - -C "$WORK/build/src" ||
		die "cannot copy the source tree"
fi
[ -f "$WORK/build/src/debian/control" ] || die "no debian/ in $srcdir"

build_opts=${DEB_BUILD_OPTIONS:-} build_profiles=${DEB_BUILD_PROFILES:-}
if [ "${UDP_REPLYD_E2E_DEB_CHECK:-0}" != 1 ]; then
	# The option skips the tests, the profile their Build-Depends.
	build_opts="$build_opts nocheck" build_profiles="$build_profiles nocheck"
fi
if ! (cd "$WORK/build/src" && DEB_BUILD_OPTIONS="$build_opts" DEB_BUILD_PROFILES="$build_profiles" \
	timeout 1200 dpkg-buildpackage -us -uc -b) >"$WORK/build/build.log" 2>&1; then
	tail -n 40 "$WORK/build/build.log"
	die "dpkg-buildpackage failed (log above)"
fi
debs=("$WORK"/build/udp-replyd_*.deb "$WORK"/build/udpsend_*.deb)
[ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] || die "the .debs were not built"
ok "built $(cd "$WORK/build" && echo udp-replyd_*.deb udpsend_*.deb)"

changes=("$WORK"/build/udp-replyd_*.changes)
if ! lint=$(timeout 600 lintian --fail-on warning "${changes[0]}" 2>&1); then
	say "$lint"
	die "lintian --fail-on warning found problems"
fi
ok "lintian --fail-on warning: no error or warning"
printf '%s\n' "$lint" | grep '^[A-Z]: ' | sed 's/^/    /' || true

# The burst sender, built in the configured copy.
timeout 300 make -C "$WORK/build/src/tests" udpprobe >>"$WORK/build/build.log" 2>&1 ||
	die "cannot build tests/udpprobe"
ok "built tests/udpprobe"

# ================================================================== step 2
step "2: minimal Debian 12 root (debootstrap --variant=minbase), cached"

# The host's own Debian mirror for the suite: from apt's index targets
# (after an apt-get update), else from its sources files.
mirror_from_apt() {
	apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v s="$SUITE" '$1 == s { print $2; exit }'
}
mirror_from_sources() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed 's/\[[^]]*\]//' | awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }'
	# deb822: a stanza whose Suites has the suite; its first URI.
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" '
		/^[[:space:]]*$/ { if (deb && suite && uri != "") { print uri; found = 1; exit } deb = suite = 0; uri = "" }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) suite = 1 }
		END { if (!found && deb && suite && uri != "") print uri }'
}
mirror=${UDP_REPLYD_E2E_MIRROR:-}
[ -n "$mirror" ] || mirror=$(mirror_from_apt)
[ -n "$mirror" ] || mirror=$(mirror_from_sources | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror for $SUITE in the host's apt sources; set UDP_REPLYD_E2E_MIRROR"

key=$(printf '%s %s minbase %s' "$SUITE" "$INCLUDE" "$(dpkg --print-architecture)" |
	sha256sum | cut -c1-12)
tarball=$CACHE/$SUITE-minbase-$key.tar.zst
mkdir -p "$CACHE" || die "cannot create $CACHE"
# A month-old root would lag the host's packages; make a new one.
find "$CACHE" -maxdepth 1 -name "$SUITE-minbase-*.tar.zst" -mtime +30 -delete 2>/dev/null
(
	flock -w 900 9 || { echo "cache lock busy for 900 s"; exit 1; }
	[ -s "$tarball" ] && exit 0
	tmp=$(mktemp -d "$CACHE/.new.XXXXXX") || exit 1
	trap 'rm -rf --one-file-system "$tmp"' EXIT
	echo "  debootstrap $SUITE from the host's mirror (about 40 s, once) ..."
	timeout 900 debootstrap --variant=minbase --include="$INCLUDE" \
		"$SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$tmp/debootstrap.log"; echo "debootstrap failed"; exit 1; }
	# No network in the container: apt must not try.
	rm -f "$tmp/root/etc/apt/sources.list"
	tar -C "$tmp/root" --zstd -cf "$tmp/root.tar.zst" . &&
		mv "$tmp/root.tar.zst" "$tarball"
) 9>"$CACHE/.lock" || die "cannot make the cached root $tarball"
mkdir "$ROOT" && tar -C "$ROOT" --zstd -xf "$tarball" || die "cannot unpack $tarball"
ok "root from $tarball"

# What the test brings in: the .debs and the burst sender.
mkdir -p "$ROOT/root/e2e"
cp "${debs[@]}" "$ROOT/root/e2e/"
install -m 755 "$WORK/build/src/tests/udpprobe" "$ROOT/usr/local/bin/udpprobe"
# The package's autopkgtest, run in step 4.1b.
install -m 755 "$WORK/build/src/debian/tests/service" "$ROOT/root/e2e/autopkgtest-service"

# ================================================================== step 3
step "3: boot it with systemd-nspawn, wait for systemd"

# With no systemd on the host, "--keep-unit" makes nspawn put its
# supervisor/ and payload/ cgroups under its own cgroup: give it one of its
# own, so they can all be found and removed afterwards.
MACHINE=udp-replyd-e2e-$$
while read -r cg; do
	mkdir "$cg/$MACHINE" || die "cannot create cgroup $cg/$MACHINE"
	CGROUPS+=("$cg/$MACHINE")
done < <(own_cgroups)
[ ${#CGROUPS[@]} -gt 0 ] || die "no cgroup hierarchy found"

# Debian 12 on a machine of its own attaches the units' BPF filters
# (IPAddressDeny=), and 4.12 checks one. For that the container needs what
# such a machine has: the unified cgroup hierarchy alone (cgroup v2; on a
# host that still mounts the v1 hierarchies beside it, nspawn would hand the
# container the same mix), and the bpf() system call, which nspawn's
# seccomp filter leaves out unless asked.
unified=
if [ -f /sys/fs/cgroup/cgroup.controllers ] || [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	unified=1
fi
(
	for cg in "${CGROUPS[@]}"; do
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
	done
	[ -z "$unified" ] || export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
	exec systemd-nspawn -D "$ROOT" --machine="$MACHINE" --boot --register=no \
		--keep-unit --console=pipe --private-network --system-call-filter=bpf
) </dev/null >"$WORK/console.log" 2>&1 &
NSPAWN_PID=$!

# The container's PID 1 is the child of nspawn that runs systemd.
find_leader() {
	local p
	kill -0 "$NSPAWN_PID" 2>/dev/null || die "systemd-nspawn exited"
	for p in $(pgrep -P "$NSPAWN_PID"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ]; then
			LEADER=$p
			return 0
		fi
	done
	return 1
}
end=$((SECONDS + 30))
until find_leader; do
	[ "$SECONDS" -lt "$end" ] || die "no systemd in the container after 30 s"
	sleep 0.1 # poll
done
end=$((SECONDS + 90))
while :; do
	state=$(T=10 in_ct systemctl is-system-running --wait 2>/dev/null) || true
	case $state in
	running) break ;;
	degraded)
		say "  note: the container is degraded:"
		T=10 in_ct systemctl --failed --no-legend
		break ;;
	esac
	[ "$SECONDS" -lt "$end" ] || die "systemd in the container not up after 90 s (state: ${state:-none})"
	sleep 0.2 # poll
done
ok "systemd is $state (leader pid $LEADER, machine $MACHINE)"

# ================================================================== step 4
# A few helpers for inside.
jfield() { jq -r --arg f "$2" '.[$f] // empty' <<<"$1"; }
unit_prop() { in_ct systemctl show -p "$2" --value "$1"; }
reply_is() { [ "$(in_ct udpsend -t 1 127.0.0.1 "$1" "Hello UDP Server")" = "$2" ]; }
set_config() {
	in_ct sh -c 'cat >/etc/udp-replyd.conf' || die "cannot write /etc/udp-replyd.conf"
}

step "4.1: install the .debs (apt-get install ./udp-replyd_*.deb ./udpsend_*.deb)"
# Snapshot of the file system before, to prove purge leaves nothing.
snapshot='find / -xdev -path /root/e2e -prune -o -path /var/log/journal -prune -o -print | LC_ALL=C sort'
in_ct sh -c "$snapshot" >"$WORK/fs.before" || die "cannot list the container's files"
out=$(T=180 in_ct sh -c 'apt-get install -y /root/e2e/udp-replyd_*.deb /root/e2e/udpsend_*.deb' 2>&1) ||
	{ say "$out"; die "apt-get install of the .debs failed"; }
ok "apt-get installed udp-replyd and udpsend"
[ "$(unit_prop udp-replyd.socket UnitFileState)" = enabled ] ||
	die "udp-replyd.socket is not enabled after install"
[ "$(unit_prop udp-replyd.socket ActiveState)" = active ] ||
	die "udp-replyd.socket is not active after install"
[ "$(unit_prop udp-replyd.service ActiveState)" = inactive ] ||
	die "udp-replyd.service was started by the package; the socket should start it"
ok "udp-replyd.socket enabled and listening, udp-replyd.service waiting for it"
dropin=/run/systemd/generator/udp-replyd.socket.d/50-config.conf
in_ct grep -qx 'ListenDatagram=127.0.0.1:20001' "$dropin" ||
	die "the generator's drop-in $dropin does not list 127.0.0.1:20001"
ok "generator drop-in $dropin: ListenDatagram=127.0.0.1:20001"

step "4.1b: the package's autopkgtest (debian/tests/service)"
# Right after the install, as autopkgtest would run it (needs-root; this
# booted container is its isolation-container). Output on stderr fails a
# test that does not declare allow-stderr: so here too.
st=0
# shellcheck disable=SC2016 # expanded in the container
T=180 in_ct env AUTOPKGTEST_TMP=/root/e2e/autopkgtest-tmp \
	sh -c 'mkdir -p "$AUTOPKGTEST_TMP" && exec /root/e2e/autopkgtest-service' \
	>"$WORK/autopkgtest.out" 2>"$WORK/autopkgtest.err" || st=$?
sed 's/^/    /' "$WORK/autopkgtest.out"
[ "$st" = 0 ] || die "debian/tests/service failed (exit $st)"
[ ! -s "$WORK/autopkgtest.err" ] ||
	{ cat "$WORK/autopkgtest.err"; die "debian/tests/service wrote to stderr"; }
ok "debian/tests/service: $(grep -c '^ok: ' "$WORK/autopkgtest.out") checks passed"

step "4.2: systemctl start udp-replyd; udpsend gets the reply"
# Even with the socket stopped, starting the service brings it up first.
in_ct systemctl stop udp-replyd.socket || die "systemctl stop udp-replyd.socket failed"
in_ct systemctl start udp-replyd || die "systemctl start udp-replyd failed"
[ "$(unit_prop udp-replyd.service ActiveState)" = active ] || die "udp-replyd.service not active"
[ "$(unit_prop udp-replyd.socket ActiveState)" = active ] ||
	die "systemctl start udp-replyd did not start udp-replyd.socket"
ok "systemctl start udp-replyd started the socket, then the service"
reply=$(in_ct udpsend 127.0.0.1 20001 "Hello UDP Server") ||
	die "udpsend 127.0.0.1 20001 failed (exit $?)"
[ "$reply" = "Hello UDP Client" ] || die "udpsend printed '$reply', not 'Hello UDP Client'"
ok "udpsend 127.0.0.1 20001 \"Hello UDP Server\" printed \"Hello UDP Client\""

step "4.3: the datagram's journal record (journalctl -u udp-replyd -o json)"
get_record() {
	rec=$(in_ct journalctl -u udp-replyd -o json --no-pager "MESSAGE_ID=${MSGID}01" |
		jq -c 'select(.UDP_PAYLOAD == "Hello UDP Server")' | tail -n 1)
	[ -n "$rec" ]
}
wait_for 15 "the datagram's record in the journal" get_record
for kv in "MESSAGE_ID=${MSGID}01" PRIORITY=6 SYSLOG_IDENTIFIER=udp-replyd \
	  _SYSTEMD_UNIT=udp-replyd.service UDP_REMOTE_ADDR=127.0.0.1 \
	  UDP_LOCAL_ADDR=127.0.0.1 UDP_LOCAL_PORT=20001 UDP_SIZE=16 \
	  UDP_TRUNCATED=0 "UDP_PAYLOAD=Hello UDP Server"; do
	[ "$(jfield "$rec" "${kv%%=*}")" = "${kv#*=}" ] ||
		die "record field ${kv%%=*} is '$(jfield "$rec" "${kv%%=*}")', not '${kv#*=}': $rec"
done
rport=$(jfield "$rec" UDP_REMOTE_PORT)
[[ $rport =~ ^[0-9]+$ ]] && [ "$rport" -gt 0 ] || die "UDP_REMOTE_PORT '$rport'"
msg=$(jfield "$rec" MESSAGE)
[ "$msg" = "16 bytes from 127.0.0.1:$rport to 127.0.0.1:20001: \"Hello UDP Server\"" ] ||
	die "MESSAGE is '$msg'"
ok "record: $msg"
ok "fields MESSAGE_ID PRIORITY UDP_REMOTE_ADDR/PORT UDP_LOCAL_ADDR/PORT UDP_SIZE UDP_TRUNCATED UDP_PAYLOAD as expected"
# The catalog explains the rare records (start, reload, stop, summaries),
# not the one of every datagram: "journalctl -x" must stay readable under
# traffic.
in_ct journalctl --list-catalog "${MSGID}02" 2>/dev/null | grep -q 'udp-replyd started serving' ||
	die "the catalog entry for ${MSGID}02 is not in journalctl's catalog"
in_ct journalctl -u udp-replyd -x -q --no-pager -n 1 "MESSAGE_ID=${MSGID}02" |
	grep -q 'Subject: udp-replyd started serving' ||
	die "journalctl -x does not explain the start record (${MSGID}02) from the catalog"
ok "journalctl -x explains the start record from the catalog"
for i in $(seq 1 20); do
	in_ct udpsend 127.0.0.1 20001 "catalog $i" >/dev/null || die "udpsend 'catalog $i' failed"
done
records() { in_ct journalctl -u udp-replyd -q --no-pager -o cat "MESSAGE_ID=${MSGID}01"; }
has_21_records() { [ "$(records | wc -l)" -ge 21 ]; }
wait_for 15 "21 datagram records (4.2's and 20 more)" has_21_records
n=$(records | wc -l)
lines=$(in_ct journalctl -u udp-replyd -x -q --no-pager "MESSAGE_ID=${MSGID}01" | wc -l)
[ "$lines" -le $((2 * n)) ] ||
	die "journalctl -x prints $lines lines for $n datagram records, more than 2 each (a catalog entry for ${MSGID}01?)"
ok "journalctl -x: $lines lines for $n datagram records (at most 2 each)"

step "4.4: new reply in /etc/udp-replyd.conf, systemctl reload udp-replyd"
pid=$(unit_prop udp-replyd MainPID)
set_config <<'EOF'
# e2e: a new reply
reply = "Reloaded by e2e";
EOF
in_ct systemctl reload udp-replyd || die "systemctl reload udp-replyd failed"
# ExecReload= (udp-replyd-reload) returns once the daemon's verdict is in,
# and so does the reload job: the new reply is there at once.
reply_is 20001 "Reloaded by e2e" || die "the reply right after systemctl reload is not the new one"
[ "$(unit_prop udp-replyd MainPID)" = "$pid" ] || die "reload restarted the daemon (pid changed)"
ok "the next reply is \"Reloaded by e2e\", same pid $pid"
in_ct journalctl -u udp-replyd --no-pager -o cat "MESSAGE_ID=${MSGID}03" | grep -q '^reloaded /etc/udp-replyd.conf' ||
	die "no 'reloaded' record"
ok "reload record in the journal"

step "4.5: a broken config: the reload keeps the old one, the generator writes nothing"
set_config <<'EOF'
reply = "Reloaded by e2e";
port = 70000;
EOF
st=0
in_ct systemctl reload udp-replyd >/dev/null 2>&1 || st=$?
[ $st != 0 ] || die "systemctl reload udp-replyd succeeded with a broken config"
ok "systemctl reload udp-replyd fails (exit $st)"
status_says_failed() {
	unit_prop udp-replyd StatusText |
		grep -q '^Reload failed, keeping the old configuration: /etc/udp-replyd.conf:2: port'
}
wait_for 10 "STATUS= to say the reload failed, with /etc/udp-replyd.conf:2" status_says_failed
has_reload_failed() {
	in_ct journalctl -u udp-replyd --no-pager -o cat "MESSAGE_ID=${MSGID}04" |
		grep -q '/etc/udp-replyd.conf:2: port'
}
wait_for 10 "the 'reload failed' record naming /etc/udp-replyd.conf:2" has_reload_failed
helper_said() {
	in_ct journalctl -u udp-replyd --no-pager -o cat SYSLOG_IDENTIFIER=udp-replyd-reload |
		grep -q '^reload failed, keeping the old configuration: /etc/udp-replyd.conf:2: port'
}
wait_for 10 "the reload helper's line in the unit's journal" helper_said
reply_is 20001 "Reloaded by e2e" || die "the old reply is gone after a failed reload"
[ "$(unit_prop udp-replyd MainPID)" = "$pid" ] || die "a failed reload restarted the daemon"
ok "reload failed with FILE:LINE, the old config keeps serving"
in_ct systemctl daemon-reload || die "systemctl daemon-reload failed"
in_ct test ! -e "$dropin" || die "the generator wrote $dropin from a broken config"
# The generator logs to /dev/kmsg, which a container lacks, else to its
# stderr, which systemd gives generators no reader for here: run it by hand
# to read what it says.
in_ct /lib/systemd/system-generators/udp-replyd-generator /tmp/gen-out 2>&1 |
	grep -q '^udp-replyd-generator: /etc/udp-replyd.conf:2: port: .*not writing' ||
	die "the generator does not say why it writes nothing"
in_ct test ! -e /tmp/gen-out/udp-replyd.socket.d || die "the generator wrote a drop-in by hand"
[ "$(unit_prop udp-replyd.socket ActiveState)" = active ] || die "the socket is not active"
reply_is 20001 "Reloaded by e2e" || die "no reply after daemon-reload with a broken config"
ok "daemon-reload with a broken config: no drop-in, the generator says why, still serving"

step "4.6: move the port in the config, daemon-reload, restart"
set_config <<'EOF'
reply = "Reloaded by e2e";
port = 20002;
EOF
in_ct systemctl daemon-reload || die "systemctl daemon-reload failed"
in_ct grep -qx 'ListenDatagram=127.0.0.1:20002' "$dropin" || die "the drop-in does not list port 20002"
in_ct systemctl restart udp-replyd.socket udp-replyd || die "systemctl restart udp-replyd.socket udp-replyd failed"
reply=$(in_ct udpsend 127.0.0.1 20002 "Hello UDP Server") || die "udpsend to the new port 20002 failed"
[ "$reply" = "Reloaded by e2e" ] || die "the new port replied '$reply'"
ok "udpsend 127.0.0.1 20002 gets \"$reply\""
st=0
in_ct udpsend -t 1 127.0.0.1 20001 "Hello UDP Server" >/dev/null 2>&1 || st=$?
[ $st = 3 ] || die "the old port 20001 still answers or is not refused (udpsend exit $st, not 3)"
ok "the old port 20001 is closed (udpsend exit 3, refused)"

step "4.7: systemctl status shows the live counters"
pid=$(unit_prop udp-replyd MainPID)
for i in 1 2 3 4 5; do
	in_ct udpsend 127.0.0.1 20002 "count $i" >/dev/null || die "udpsend $i failed"
done
# Counted since the restart: the reply check of 4.6 and these five.
counters_are() { unit_prop udp-replyd StatusText | grep -q ': 6 received, 6 replied, 0 errors, 0 dropped by the kernel, 0 not logged$'; }
wait_for 10 "STATUS= to count 6 datagrams" counters_are
status=$(in_ct systemctl status --no-pager udp-replyd) || true
grep -Eq 'Status: "Serving 127\.0\.0\.1:20002 \([0-9]+ workers?\): 6 received, 6 replied, 0 errors, 0 dropped by the kernel, 0 not logged"' <<<"$status" ||
	{ say "$status"; die "systemctl status does not show the counters"; }
ok "$(grep 'Status:' <<<"$status" | sed 's/^ *//')"

step "4.8: a dynamic user, no capabilities, the sandbox in force"
procstatus=$(in_ct cat "/proc/$pid/status") || die "cannot read /proc/$pid/status"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$procstatus")
read -r uid _ <<<"$uids"
for u in $uids; do
	# systemd's dynamic users: 61184..65519
	[ "$u" -ge 61184 ] && [ "$u" -le 65519 ] || die "the daemon runs as uid $u (Uid: $uids), not a dynamic user"
done
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
	v=$(awk -v c="$cap:" '$1 == c { print $2 }' <<<"$procstatus")
	[[ $v =~ ^0+$ ]] || die "$cap is $v, not 0"
done
grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$procstatus" || die "NoNewPrivs is not set"
grep -q '^Seccomp:[[:space:]]*2' <<<"$procstatus" || die "no seccomp filter"
in_ct test -e "/run/systemd/dynamic-uid/$uid" || die "uid $uid is not one of systemd's dynamic users"
ok "uid $uid (dynamic), CapInh/Prm/Eff/Bnd/Amb all 0, NoNewPrivs, seccomp filter"
netdevs=$(in_ct cat "/proc/$pid/net/dev" | awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | tr '\n' ' ')
[ "$netdevs" = "lo " ] || die "the daemon's network namespace has '$netdevs', not just lo"
ok "private network namespace (only lo), the datagrams come through the socket unit"

step "4.9: kill -9 the daemon, systemd restarts it"
restarts=$(unit_prop udp-replyd NRestarts)
in_ct kill -9 "$pid" || die "kill -9 $pid failed"
restarted() {
	local p
	p=$(unit_prop udp-replyd MainPID)
	[ "$p" != 0 ] && [ "$p" != "$pid" ] &&
		[ "$(unit_prop udp-replyd ActiveState)" = active ]
}
wait_for 30 "systemd to restart the daemon" restarted
newpid=$(unit_prop udp-replyd MainPID)
[ "$(unit_prop udp-replyd NRestarts)" = $((restarts + 1)) ] || die "NRestarts did not go up by one"
reply_is 20002 "Reloaded by e2e" || die "no reply after the restart"
ok "pid $pid killed, systemd restarted it as pid $newpid (NRestarts $((restarts + 1))), it replies"

step "4.10: the upgrade path (dpkg -i the same .debs again): socket kept, service restarted"
sock_since=$(unit_prop udp-replyd.socket ActiveEnterTimestampMonotonic)
out=$(T=180 in_ct sh -c 'dpkg -i /root/e2e/udp-replyd_*.deb /root/e2e/udpsend_*.deb' 2>&1) ||
	{ say "$out"; die "dpkg -i over the installed packages failed"; }
[ "$(unit_prop udp-replyd.socket ActiveEnterTimestampMonotonic)" = "$sock_since" ] ||
	die "the upgrade restarted udp-replyd.socket (datagrams would be refused meanwhile)"
p=$(unit_prop udp-replyd MainPID)
[ "$p" != 0 ] && [ "$p" != "$newpid" ] || die "the running service was not restarted on upgrade (pid $p)"
reply_is 20002 "Reloaded by e2e" || die "no reply after the upgrade"
ok "socket up all along, running service restarted (pid $newpid -> $p), config kept, replies"

step "4.11: a burst of $BURST datagrams: each one journal record, or counted in a summary"
in_ct systemctl restart udp-replyd || die "systemctl restart udp-replyd failed"
pid=$(unit_prop udp-replyd MainPID)
inv=$(unit_prop udp-replyd InvocationID)
t=$SECONDS
out=$(T=120 in_ct udpprobe burst -t 60 127.0.0.1 20002 "$BURST" 2>&1) ||
	{ say "$out"; die "udpprobe burst did not send $BURST datagrams in 60 s"; }
ok "udpprobe burst: $out ($((SECONDS - t)) s)"
# Stop the daemon: its stop record holds the final counts (systemctl stop
# returns once it has exited), and every record before it has reached the
# journal by then. The replies never waited for journald: what the log writer
# could not hand it one by one is counted in summaries (...06) and in the
# stop record.
# (systemctl warns that the socket can start it again: it can, nothing will.)
out=$(in_ct systemctl stop udp-replyd 2>&1) || { say "$out"; die "systemctl stop udp-replyd failed"; }
stop_record() {
	in_ct journalctl --no-pager -o json "_PID=$pid" "MESSAGE_ID=${MSGID}05" | tail -n 1
}
end=$((SECONDS + 60))
until stopped=$(stop_record) && [ -n "$stopped" ]; do
	[ "$SECONDS" -lt "$end" ] || die "no stop record from pid $pid after 60 s"
	sleep 0.2 # poll
done
n=$(jq -r .UDP_RECEIVED <<<"$stopped")
left=$(jq -r .UDP_NOT_LOGGED <<<"$stopped")
[[ "$n" =~ ^[0-9]+$ && "$left" =~ ^[0-9]+$ ]] || die "unexpected stop record: '$stopped'"
[ "$n" -gt 0 ] || die "the daemon counted no datagram"
c=$(in_ct journalctl --no-pager -o cat "_PID=$pid" "MESSAGE_ID=${MSGID}01" | wc -l)
summarised=$(in_ct journalctl --no-pager -o json "_PID=$pid" "MESSAGE_ID=${MSGID}06" |
	jq -s '[.[].UDP_NOT_LOGGED | tonumber] | add // 0')
[ $((c + summarised + left)) = "$n" ] ||
	die "$c records + $summarised summarised + $left at stop, but $n datagrams received"
[ "$c" -gt 0 ] || die "no datagram record at all"
inv_count=$(in_ct journalctl --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$inv" "MESSAGE_ID=${MSGID}01" | wc -l)
[ "$inv_count" = "$c" ] || die "$inv_count records carry the invocation id, $c were written"
suppressed=$(in_ct journalctl -b --no-pager -o cat _COMM=systemd-journal |
	grep -i 'suppressed.*udp-replyd' || true)
[ -z "$suppressed" ] || die "journald suppressed records: $suppressed"
ok "$n datagrams received (of $BURST sent): $c journal records + $summarised in summaries + $left at stop, none suppressed by journald"

step "4.12: the kernel's access list: IPAddressDeny=any, IPAddressAllow=127.0.0.3 on udp-replyd.socket"
# systemd's alternative to the daemon's allow/deny: BPF programs on the
# socket unit's cgroup, which its sockets belong to. A refused datagram is
# dropped before the socket's queue: the daemon never receives or logs it.
aclconf=/etc/systemd/system/udp-replyd.socket.d/50-e2e-ipaccess.conf
# IPAccounting= counts what the filter lets through, and shows that it is
# in force at all.
printf '[Socket]\nIPAddressDeny=any\nIPAddressAllow=127.0.0.3\nIPAccounting=yes\n' |
	in_ct sh -c "mkdir -p ${aclconf%/*} && cat >$aclconf" || die "cannot write $aclconf"
# The sockets take the filter of the cgroup they are made in: restart.
in_ct systemctl daemon-reload || die "systemctl daemon-reload failed"
in_ct systemctl restart udp-replyd.socket || die "systemctl restart udp-replyd.socket failed"
# (systemd shows "any" as both prefixes, in no fixed order)
deny=$(unit_prop udp-replyd.socket IPAddressDeny | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$deny" = "0.0.0.0/0 ::/0 " ] || die "udp-replyd.socket has IPAddressDeny='$deny'"
[ "$(unit_prop udp-replyd.socket IPAddressAllow)" = 127.0.0.3/32 ] ||
	die "udp-replyd.socket has IPAddressAllow='$(unit_prop udp-replyd.socket IPAddressAllow)'"
sock_since=$(unit_prop udp-replyd.socket ActiveEnterTimestampMonotonic)
# Where systemd cannot attach BPF programs (no cgroup v2, no bpf()), it
# listens unfiltered, has no counts ("[no data]"), and says why only once,
# for the first unit with a filter (journald), at boot.
packets=$(unit_prop udp-replyd.socket IPIngressPackets)
[[ $packets =~ ^[0-9]+$ ]] && [ "$packets" != 18446744073709551615 ] ||
	die "udp-replyd.socket has no IP filter in force (IPIngressPackets '$packets'): systemd needs cgroup v2 and bpf()"
[ "$(unit_prop udp-replyd.service ActiveState)" = inactive ] ||
	die "udp-replyd.service is running; 4.11 stopped it"
# Refused first, while the service waits: the datagram does not even
# activate it. (Had it reached the socket, the reply would come within the
# second udpsend waits.)
st=0
in_ct udpsend -t 1 127.0.0.1 20002 "from 127.0.0.1" >/dev/null 2>&1 || st=$?
[ $st = 1 ] || die "a datagram from 127.0.0.1 got udpsend exit $st, not 1 (no reply)"
[ "$(unit_prop udp-replyd.service ActiveState)" = inactive ] ||
	die "a datagram from the refused 127.0.0.1 activated udp-replyd.service"
ok "from 127.0.0.1: no reply (udpsend exit 1), udp-replyd.service not even activated"
reply=$(in_ct udpsend -s 127.0.0.3 127.0.0.1 20002 "from 127.0.0.3") ||
	die "udpsend -s 127.0.0.3 got no reply (exit $?)"
[ "$reply" = "Reloaded by e2e" ] || die "udpsend -s 127.0.0.3 printed '$reply'"
pid=$(unit_prop udp-replyd MainPID)
for src in 127.0.0.1 127.0.0.2; do
	st=0
	in_ct udpsend -t 1 -s "$src" 127.0.0.1 20002 "from $src" >/dev/null 2>&1 || st=$?
	[ $st = 1 ] || die "a datagram from $src got udpsend exit $st, not 1 (no reply)"
done
reply=$(in_ct udpsend -s 127.0.0.3 127.0.0.1 20002 "from 127.0.0.3") ||
	die "the second udpsend -s 127.0.0.3 got no reply (exit $?)"
ok "from 127.0.0.3: replies; from 127.0.0.1 and 127.0.0.2 again: none"
# The daemon's final counts: only the two allowed datagrams reached it. The
# kernel counted the two refused while it ran as drops on its sockets
# (SO_MEMINFO), which the daemon reports as dropped by the kernel; the one
# refused before it started is not its to count.
out=$(in_ct systemctl stop udp-replyd 2>&1) || { say "$out"; die "systemctl stop udp-replyd failed"; }
end=$((SECONDS + 30))
until stopped=$(stop_record) && [ -n "$stopped" ]; do
	[ "$SECONDS" -lt "$end" ] || die "no stop record from pid $pid after 30 s"
	sleep 0.2 # poll
done
for kv in UDP_RECEIVED=2 UDP_REPLIED=2 UDP_POLICY_DROPS=0 UDP_KERNEL_DROPS=2; do
	[ "$(jfield "$stopped" "${kv%%=*}")" = "${kv#*=}" ] ||
		die "stop record: ${kv%%=*} is '$(jfield "$stopped" "${kv%%=*}")', not ${kv#*=}: $stopped"
done
senders=$(in_ct journalctl --no-pager -o json "_PID=$pid" "MESSAGE_ID=${MSGID}01" |
	jq -r .UDP_REMOTE_ADDR | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ')
[ "$senders" = "127.0.0.3x2 " ] || die "the daemon's records name the senders '$senders', not 127.0.0.3 twice"
[ "$(unit_prop udp-replyd.socket ActiveEnterTimestampMonotonic)" = "$sock_since" ] ||
	die "udp-replyd.socket restarted meanwhile"
ok "the daemon received 2 datagrams, both from 127.0.0.3 (stop record UDP_RECEIVED=2, UDP_POLICY_DROPS=0, UDP_KERNEL_DROPS=2; 2 records)"
# The kernel's side: it let in the two allowed datagrams, out their replies.
in_pkts=$(unit_prop udp-replyd.socket IPIngressPackets)
out_pkts=$(unit_prop udp-replyd.socket IPEgressPackets)
[ "$in_pkts/$out_pkts" = 2/2 ] ||
	die "udp-replyd.socket let $in_pkts packets in and $out_pkts out, not 2 and 2"
ok "the socket unit's IP accounting: 2 packets in, 2 out"
# Take the drop-in away again: everyone is answered.
in_ct rm -r "${aclconf%/*}" || die "cannot remove ${aclconf%/*}"
in_ct systemctl daemon-reload || die "systemctl daemon-reload failed"
in_ct systemctl restart udp-replyd.socket || die "systemctl restart udp-replyd.socket failed"
[ -z "$(unit_prop udp-replyd.socket IPAddressDeny)" ] || die "IPAddressDeny= still set on udp-replyd.socket"
reply_is 20002 "Reloaded by e2e" || die "no reply from 127.0.0.1 after the drop-in was removed"
ok "drop-in removed, socket restarted: 127.0.0.1 is answered again"

step "4.13: apt-get purge leaves no unit, user or file behind"
out=$(T=180 in_ct apt-get purge -y udp-replyd udpsend 2>&1) ||
	{ say "$out"; die "apt-get purge failed"; }
ok "apt-get purge -y udp-replyd udpsend"
for p in udp-replyd udpsend; do
	s=$(in_ct dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || true
	[ -z "$s" ] || [ "$s" = not-installed ] || die "dpkg still knows $p: $s"
done
units=$(in_ct systemctl list-units --all --no-legend --plain 'udp-replyd*')
[ -z "$units" ] || die "units left: $units"
files=$(in_ct systemctl list-unit-files --no-legend 'udp-replyd*') || true
[ -z "$files" ] || die "unit files left: $files"
in_ct pgrep -l udp-replyd && die "a udp-replyd process is still running"
in_ct sh -c 'ls /run/systemd/dynamic-uid/ 2>/dev/null | grep -q udp-replyd' && die "the dynamic user is still allocated"
in_ct grep -q udp-replyd /etc/passwd /etc/group && die "a udp-replyd user or group is in /etc/passwd or /etc/group"
in_ct test ! -e "$dropin" || die "the generator's drop-in is still there"
ok "no unit, no process, no user, no drop-in"
in_ct sh -c "$snapshot" >"$WORK/fs.after" || die "cannot list the container's files"
# New paths that are not ours: apt's and dpkg's own records and caches.
left=$(LC_ALL=C comm -13 "$WORK/fs.before" "$WORK/fs.after" |
	grep -Ev '^/var/(lib/dpkg|lib/apt|cache/apt|cache/debconf|cache/ldconfig|log/apt|log/dpkg\.log|log/alternatives\.log)(/|$)' || true)
[ -z "$left" ] || die "purge left files behind: $(tr '\n' ' ' <<<"$left")"
named=$(in_ct find / -xdev -path /root/e2e -prune -o \( -name '*udp-replyd*' -o -name '*udpsend*' \) -print)
[ -z "$named" ] || die "purge left files behind: $(tr '\n' ' ' <<<"$named")"
ok "no new file or directory anywhere (apt/dpkg records aside)"

# ================================================================== step 5
step "5: power off and clean up"
teardown
leftover=
for cg in "${CGROUPS[@]}"; do
	[ ! -d "$cg" ] || leftover="$leftover cgroup:$cg"
done
kill -0 "$NSPAWN_PID" 2>/dev/null && leftover="$leftover process:$NSPAWN_PID"
[ ! -d "$WORK" ] || [ "${UDP_REPLYD_E2E_KEEP:-0}" = 1 ] || leftover="$leftover dir:$WORK"
grep -q " $WORK" /proc/self/mountinfo && leftover="$leftover mount:$WORK"
if [ -n "$leftover" ]; then
	say "FAIL: step $STEP: left behind:$leftover"
	say "e2e: $PASSED passed, 1 failed ($((SECONDS - T0)) s)"
	exit 1
fi
ok "container powered off; no process, mount, cgroup or work directory left"

say ""
say "e2e: $PASSED passed, 0 failed ($((SECONDS - T0)) s)"
exit 0
