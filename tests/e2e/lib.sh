# lib.sh - shell functions of the e2e scripts (run.sh, debian13.sh), bash;
# shellcheck shell=bash
# sourced, not run. They use the caller's globals when called (PASSED,
# LEADER, WORK, ...).

say() { printf '%s\n' "$*"; }

ok() { PASSED=$((PASSED + 1)); say "  ok: $*"; }

step() {
	STEP=$1
	say ""
	say "== step $STEP  [$((SECONDS - T0)) s]"
}

# Each hierarchy's cgroup of this process, as "MOUNTPOINT/PATH": the
# cgroup2 one, and the v1 name=systemd one on a hybrid host.
own_cgroups() {
	local v2 v1
	v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup$v2"
	elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
		echo "/sys/fs/cgroup/unified$v2"
	fi
	v1=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)
	if [ -n "$v1" ] && [ -f /sys/fs/cgroup/systemd/cgroup.procs ]; then
		echo "/sys/fs/cgroup/systemd$v1"
	fi
}

# Kill every process in cgroup $1 and below, until it is empty (bounded).
cgroup_kill() {
	local cg=$1 end=$((SECONDS + 15)) pids
	[ -d "$cg" ] || return 0
	[ -f "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
	while :; do
		pids=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # a list of pids
		kill -9 $pids 2>/dev/null
		[ "$SECONDS" -lt "$end" ] || { say "  warning: could not empty $cg: $pids"; return 1; }
		sleep 0.1 # poll
	done
}

# in_ct CMD...: run CMD inside the container (all its namespaces), with a
# clean environment, bounded by $T seconds (default 60).
in_ct() {
	timeout --kill-after=5 "${T:-60}" nsenter -t "$LEADER" -a \
		env -i PATH="$CT_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb \
		SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}
