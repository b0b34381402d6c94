#!/bin/bash
# tests/e2e/debian13.sh - the Debian packages on Debian 13 (trixie), where
# systemd.pc comes from systemd-dev and says /usr/lib/systemd/system:
#
#   1. a trixie build root (debootstrap minbase, build tools, lintian),
#      cached as a tarball; the build dependencies from debian/control
#      (apt-get build-dep, from the host's Debian mirror)
#   2. the upstream tarball (make dist) as the .orig.tar.xz, and the source
#      and binary packages built from it (dpkg-buildpackage, no network);
#      lintian on the whole upload
#   3. a minimal trixie root, cached, booted with systemd-nspawn; the .debs
#      installed (apt-get install), the package's autopkgtest
#      (debian/tests/service) run as autopkgtest would, then purged
#   4. power off; remove every process, mount, cgroup and file this made
#
# Run as root: tests/e2e/debian13.sh. Exit 0 passed, 1 failed, 77 skipped
# (not root, no systemd-nspawn, or no trixie on the mirror); with
# UDP_REPLYD_NO_SKIP=1 a skip is a failure.
#
# Environment (as tests/e2e/run.sh):
#   UDP_REPLYD_NO_SKIP=1        fail instead of skipping
#   UDP_REPLYD_E2E_CACHE=DIR    root tarball cache (/var/cache/udp-replyd-e2e)
#   UDP_REPLYD_E2E_MIRROR=URI   Debian mirror (default: the host's apt source)
#   UDP_REPLYD_E2E_DEB_CHECK=1  run "make check" inside the package build
#   UDP_REPLYD_E2E_KEEP=1       keep the work directory (the build's output)
# shellcheck disable=SC2317 # functions called through wait_for and traps
# shellcheck disable=SC2016 # $... in single quotes is for the inner shell
set -uo pipefail

SUITE=trixie
# The build root: what every package build needs, and lintian (installed
# with apt after debootstrap, whose --include cannot order lintian's Perl
# dependencies). The package's own build dependencies come from
# debian/control on every run.
BUILD_TOOLS="build-essential debhelper dpkg-dev fakeroot lintian"
# The test root: the packages' dependencies (the container has no network).
TEST_INCLUDE=systemd,systemd-sysv,dbus,libconfig11,procps
CACHE=${UDP_REPLYD_E2E_CACHE:-/var/cache/udp-replyd-e2e}
# shellcheck disable=SC2034 # in_ct (lib.sh) uses it
CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}

T0=$SECONDS
PASSED=0
STEP="0 (start)"
WORK='' NSPAWN_PID='' LEADER='' MACHINE='' TORN_DOWN='' UNIFIED=''
CGROUPS=()

skip() {
	say "SKIP: $*"
	if [ "${UDP_REPLYD_NO_SKIP:-0}" = 1 ]; then
		say "FAIL: debian13 would skip, and UDP_REPLYD_NO_SKIP=1 forbids it"
		exit 1
	fi
	exit 77
}
die() {
	trap - ERR
	say ""
	say "FAIL: step $STEP: $*"
	if [ -n "$LEADER" ] && kill -0 "$LEADER" 2>/dev/null; then
		say "---- container journal, last 60 lines ----"
		T=20 in_ct journalctl -b --no-pager -n 60 -o short-monotonic 2>&1
	fi
	teardown
	say ""
	say "debian13: $PASSED passed, 1 failed ($((SECONDS - T0)) s)"
	exit 1
}
trap 'die "command failed (exit $?, line $LINENO): $BASH_COMMAND"' ERR

# ---------------------------------------------------------------- containers
# As in tests/e2e/run.sh: on a host without systemd, nspawn (--keep-unit)
# puts its supervisor/ and payload/ cgroups under the cgroup it starts in, so
# it starts in one of this script's own, which teardown empties and removes.

# nspawn_exec ROOT OPTIONS...: in a subshell of its own, join this
# script's cgroups and become systemd-nspawn on ROOT, with the container's
# own unified cgroup hierarchy (trixie's systemd needs it).
nspawn_exec() {
	local root=$1 cg
	shift
	for cg in "${CGROUPS[@]}"; do
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
	done
	[ -z "$UNIFIED" ] || export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
	exec systemd-nspawn -q -D "$root" --machine="$MACHINE" --register=no --keep-unit "$@"
}

# in_root ROOT SECONDS CMD: run the shell command CMD in ROOT, not booted,
# for at most SECONDS. With UDP_REPLYD_NET=1 it shares the host's network
# (for apt), else it has none (and so CAP_NET_ADMIN in its own, which the
# tests' namespaces want).
in_root() {
	local root=$1 limit=$2 net=--private-network
	[ "${UDP_REPLYD_NET:-0}" != 1 ] || net=
	# nspawn 252 says this when it leaves, on a host whose /run is not tmpfs.
	# shellcheck disable=SC2086 # $net is one option or none
	(nspawn_exec "$root" --pipe $net --setenv=DEBIAN_FRONTEND=noninteractive -- \
		timeout --kill-after=5 "$limit" /bin/sh -ec "$3") </dev/null \
		2> >(grep -v '^Attempted to remove disk file system under "/run/systemd/nspawn/propagate/' >&2)
}

teardown() {
	local end cg
	[ -z "$TORN_DOWN" ] || return 0
	TORN_DOWN=1
	trap - ERR
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null
		end=$((SECONDS + 30))
		while kill -0 "$NSPAWN_PID" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
			sleep 0.2 # poll
		done
		kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID" 2>/dev/null
	fi
	[ -z "$NSPAWN_PID" ] || wait "$NSPAWN_PID" 2>/dev/null
	for cg in "${CGROUPS[@]}"; do
		cgroup_kill "$cg"
	done
	for cg in "${CGROUPS[@]}"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	[ -z "$MACHINE" ] || rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null
	if [ -n "$WORK" ]; then
		if [ "${UDP_REPLYD_E2E_KEEP:-0}" = 1 ]; then
			say "  kept $WORK (the build: $WORK/build/pkg)"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	return 0
}
trap teardown EXIT
trap 'die "interrupted"' INT TERM HUP

# ------------------------------------------------------------------- checks

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, systemd-nspawn, cgroups)"
command -v systemd-nspawn >/dev/null 2>&1 ||
	skip "systemd-nspawn not found (apt-get install systemd-container)"
for tool in debootstrap nsenter flock timeout zstd git; do
	command -v "$tool" >/dev/null 2>&1 || { say "FAIL: $tool not found (tests/e2e/deps)"; exit 1; }
done
[ -f /usr/share/debootstrap/scripts/$SUITE ] ||
	skip "this debootstrap does not know $SUITE"

# The host's Debian mirror: the first deb source of its own suite.
# shellcheck source=/dev/null
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=${UDP_REPLYD_E2E_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v s="$host_suite" '$1 == s { print $2; exit }')
fi
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$host_suite" '
		/^[[:space:]]*$/ { if (suite && uri != "") { print uri; exit } suite = 0; uri = "" }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) suite = 1 }
		END { if (suite && uri != "") print uri }' | head -n 1)
fi
if [ -z "$mirror" ]; then
	mirror=$(sed 's/\[[^]]*\]//' /etc/apt/sources.list 2>/dev/null |
		awk -v s="$host_suite" '$1 == "deb" && $3 == s { print $2; exit }')
fi
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources; set UDP_REPLYD_E2E_MIRROR"
say "udp-replyd debian13: source $srcdir, mirror $mirror"
WORK=$(mktemp -d /var/tmp/udp-replyd-deb13.XXXXXX) || die "mktemp"
# Does the archive reachable here have the suite?
timeout 60 /usr/lib/apt/apt-helper download-file "${mirror%/}/dists/$SUITE/Release" \
	"$WORK/Release" >/dev/null 2>&1 || skip "$mirror has no $SUITE (dists/$SUITE/Release)"
MACHINE=udp-replyd-deb13-$$
while read -r cg; do
	mkdir "$cg/$MACHINE" || die "cannot create cgroup $cg/$MACHINE"
	CGROUPS+=("$cg/$MACHINE")
done < <(own_cgroups)
[ ${#CGROUPS[@]} -gt 0 ] || die "no cgroup hierarchy found"
if [ -f /sys/fs/cgroup/cgroup.controllers ] || [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	UNIFIED=1
fi

# cached_root NAME INCLUDE TOOLS DIR: unpack the cached $SUITE minbase root
# with INCLUDE (debootstrap) and then TOOLS (apt-get) into DIR, making it
# first if need be.
cached_root() {
	local name=$1 include=$2 tools=$3 dir=$4 key tarball
	key=$(printf '%s %s %s minbase %s' "$SUITE" "$include" "$tools" "$(dpkg --print-architecture)" |
		sha256sum | cut -c1-12)
	tarball=$CACHE/$SUITE-$name-$key.tar.zst
	mkdir -p "$CACHE" || return 1
	find "$CACHE" -maxdepth 1 -name "$SUITE-$name-*.tar.zst" -mtime +30 -delete 2>/dev/null
	(
		flock -w 900 9 || { echo "cache lock busy for 900 s"; exit 1; }
		[ -s "$tarball" ] && exit 0
		tmp=$(mktemp -d "$CACHE/.new.XXXXXX") || exit 1
		trap 'rm -rf --one-file-system "$tmp"' EXIT
		echo "  debootstrap $SUITE ($name) from $mirror (about a minute, once) ..."
		timeout 900 debootstrap --variant=minbase ${include:+--include="$include"} \
			"$SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$tmp/debootstrap.log"; echo "debootstrap failed"; exit 1; }
		if [ -n "$tools" ]; then
			printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$tmp/root/etc/apt/sources.list"
			UDP_REPLYD_NET=1 in_root "$tmp/root" 900 "apt-get -q update &&
				apt-get -q -y --no-install-recommends install $tools" >"$tmp/apt.log" 2>&1 ||
				{ tail -n 20 "$tmp/apt.log"; echo "apt-get install $tools failed"; exit 1; }
			rm -rf "$tmp/root/var/lib/apt/lists/"* "$tmp/root/var/cache/apt/"*.bin
			find "$tmp/root/var/cache/apt/archives" -name '*.deb' -delete
		fi
		tar -C "$tmp/root" --zstd -cf "$tmp/root.tar.zst" . &&
			mv "$tmp/root.tar.zst" "$tarball"
	) 9>"$CACHE/.lock" || return 1
	mkdir "$dir" && tar -C "$dir" --zstd -xf "$tarball" || return 1
	say "  root $dir from $tarball"
}

# ================================================================== step 1
step "1: a $SUITE build root, the build dependencies from debian/control"
BROOT=$WORK/build-root
cached_root build "" "$BUILD_TOOLS" "$BROOT" || die "cannot make the $SUITE build root"
# The source as "git add" would take it (as run.sh does).
mkdir -p "$BROOT/build/src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -cf - -T -) | tar -xf - -C "$BROOT/build/src" ||
		die "cannot copy the source tree"
else
	tar -C "$srcdir" --exclude-vcs -cf - . | tar -xf - -C "$BROOT/build/src" ||
		die "cannot copy the source tree"
fi
printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$BROOT/etc/apt/sources.list"
UDP_REPLYD_NET=1 in_root "$BROOT" 600 '
	apt-get -q update >/build/apt.log 2>&1
	apt-get -q -y build-dep /build/src >>/build/apt.log 2>&1' ||
	{ tail -n 20 "$BROOT/build/apt.log"; die "apt-get build-dep failed"; }
sdev=$(in_root "$BROOT" 30 'dpkg-query -W -f "\${Version}" systemd-dev') ||
	die "systemd-dev is not installed: the Build-Depends did not choose it"
unitdir=$(in_root "$BROOT" 30 'pkg-config --variable=systemdsystemunitdir systemd')
[ "$unitdir" = /usr/lib/systemd/system ] || die "systemd.pc says the unit dir is '$unitdir'"
ok "build dependencies installed; systemd-dev $sdev, whose systemd.pc says $unitdir"

# ================================================================== step 2
step "2: make dist as the .orig.tar.xz; dpkg-buildpackage (source and binary); lintian"
# The upstream tarball is what "make dist" makes, as a release would; the
# package is built from it with this tree's debian/, as a Debian
# maintainer would (3.0 (quilt), see debian/README.source). No network.
checkopt=nocheck
[ "${UDP_REPLYD_E2E_DEB_CHECK:-0}" != 1 ] || checkopt=
if ! in_root "$BROOT" 1800 '
	exec >/build/build.log 2>&1
	cd /build/src && autoreconf -fi
	mkdir /build/dist && cd /build/dist && ../src/configure -q && make -s dist
	v=$(dpkg-parsechangelog -l /build/src/debian/changelog -S Version)
	uv=${v%-*}
	mkdir /build/pkg && mv /build/dist/udp-replyd-$uv.tar.xz /build/pkg/udp-replyd_$uv.orig.tar.xz
	cd /build/pkg && tar -xf udp-replyd_$uv.orig.tar.xz
	cd udp-replyd-$uv && rm -rf debian && cp -a /build/src/debian debian
	DEB_BUILD_OPTIONS="'"$checkopt"'" dpkg-buildpackage -us -uc'; then
	tail -n 40 "$BROOT/build/build.log"
	die "the $SUITE package build failed (log above)"
fi
grep -E '^  (unit|generator|catalog) dir:' "$BROOT/build/build.log" | sed 's/^ */    /'
(cd "$BROOT/build/pkg" && ls udp-replyd_*.dsc udp-replyd_*.orig.tar.xz udp-replyd_*.debian.tar.xz \
	udp-replyd_*.deb udpsend_*.deb) >/dev/null || die "the build made no source package or .debs"
ok "built $(cd "$BROOT/build/pkg" && echo udp-replyd_*.dsc udp-replyd_*_*.deb udpsend_*.deb)"
# Where the files went: /usr/lib/systemd, where trixie's systemd looks.
files=$(dpkg-deb -c "$BROOT"/build/pkg/udp-replyd_*.deb | awk '{ print $6 }') ||
	die "cannot list udp-replyd_*.deb"
for f in /usr/lib/systemd/system/udp-replyd.socket /usr/lib/systemd/system/udp-replyd.service \
	 /usr/lib/systemd/system-generators/udp-replyd-generator; do
	grep -qx "\.$f" <<<"$files" || die "udp-replyd_*.deb has no $f"
done
! grep -q '^\./lib/' <<<"$files" || die "udp-replyd_*.deb has files in /lib: $(grep '^\./lib/' <<<"$files")"
ok "the units and the generator are in /usr/lib/systemd"
lint=$(in_root "$BROOT" 600 'cd /build/pkg && lintian --fail-on warning udp-replyd_*.changes 2>&1') ||
	{ say "$lint"; die "lintian --fail-on warning found problems"; }
ok "lintian --fail-on warning (source and binaries): no error or warning"
printf '%s\n' "$lint" | grep '^[A-Z]: ' | sed 's/^/    /' || true

# ================================================================== step 3
step "3: boot a minimal $SUITE root, install the .debs, run debian/tests/service"
ROOT=$WORK/root
cached_root test "$TEST_INCLUDE" "" "$ROOT" || die "cannot make the $SUITE test root"
rm -f "$ROOT/etc/apt/sources.list"
mkdir -p "$ROOT/root/deb13"
cp "$BROOT"/build/pkg/udp-replyd_*.deb "$BROOT"/build/pkg/udpsend_*.deb "$ROOT/root/deb13/"
install -m 755 "$BROOT/build/src/debian/tests/service" "$ROOT/root/deb13/autopkgtest-service"
(nspawn_exec "$ROOT" --boot --console=pipe --private-network --system-call-filter=bpf) \
	</dev/null >"$WORK/console.log" 2>&1 &
NSPAWN_PID=$!
find_leader() {
	local p
	kill -0 "$NSPAWN_PID" 2>/dev/null || die "systemd-nspawn exited: $(tail -n 5 "$WORK/console.log")"
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
	running | degraded) break ;;
	esac
	[ "$SECONDS" -lt "$end" ] || die "systemd in the container not up after 90 s (state: ${state:-none})"
	sleep 0.2 # poll
done
ok "systemd $(in_ct systemctl --version | head -n 1 | cut -d' ' -f2) is $state"
out=$(T=180 in_ct sh -c 'apt-get install -y /root/deb13/udp-replyd_*.deb /root/deb13/udpsend_*.deb' 2>&1) ||
	{ say "$out"; die "apt-get install of the .debs failed"; }
ok "apt-get installed udp-replyd and udpsend"
[ "$(in_ct systemctl show -p ActiveState --value udp-replyd.service)" = inactive ] ||
	die "the package started udp-replyd.service; the socket should start it"
st=0
T=180 in_ct env AUTOPKGTEST_TMP=/root/deb13/autopkgtest-tmp \
	sh -c 'mkdir -p "$AUTOPKGTEST_TMP" && exec /root/deb13/autopkgtest-service' \
	>"$WORK/autopkgtest.out" 2>"$WORK/autopkgtest.err" || st=$?
sed 's/^/    /' "$WORK/autopkgtest.out"
[ "$st" = 0 ] || die "debian/tests/service failed (exit $st)"
[ ! -s "$WORK/autopkgtest.err" ] ||
	{ cat "$WORK/autopkgtest.err"; die "debian/tests/service wrote to stderr"; }
ok "debian/tests/service: $(grep -c '^ok: ' "$WORK/autopkgtest.out") checks passed"
out=$(T=180 in_ct apt-get purge -y udp-replyd udpsend 2>&1) || { say "$out"; die "apt-get purge failed"; }
units=$(in_ct systemctl list-unit-files --no-legend 'udp-replyd*') || true
[ -z "$units" ] || die "unit files left after purge: $units"
in_ct test ! -e /run/systemd/generator/udp-replyd.socket.d || die "the generator's drop-in is left after purge"
ok "apt-get purge: no unit file, no drop-in left"

# ================================================================== step 4
step "4: power off and clean up"
teardown
leftover=
for cg in "${CGROUPS[@]}"; do
	[ ! -d "$cg" ] || leftover="$leftover cgroup:$cg"
done
kill -0 "$NSPAWN_PID" 2>/dev/null && leftover="$leftover process:$NSPAWN_PID"
[ ! -d "$WORK" ] || [ "${UDP_REPLYD_E2E_KEEP:-0}" = 1 ] || leftover="$leftover dir:$WORK"
[ -z "$leftover" ] || { say "FAIL: step $STEP: left behind:$leftover"; exit 1; }
ok "container powered off; no process, cgroup or work directory left"

say ""
say "debian13: $PASSED passed, 0 failed ($((SECONDS - T0)) s)"
exit 0
