#!/bin/bash
# tests/fuzz/run.sh - build the libFuzzer harnesses and run each for a while.
#
# usage: tests/fuzz/run.sh [SECONDS [HARNESS...]]
#   SECONDS   run time of each harness (default 60)
#   HARNESS   fuzz_config, fuzz_escape, fuzz_netaddr, fuzz_policy, fuzz_template (default: all)
# environment:
#   CC                clang with libFuzzer (default clang)
#   FUZZ_JOBS         harnesses run at once (default: the number of CPUs)
#   FUZZ_KEEP=1       keep the work directory (corpus, logs) even on success
#   FUZZ_STRICT=1     policy checks beyond the spec (U+FEFF; see fuzz-util.h)
#   FUZZ_ARGS         more libFuzzer flags, e.g. "-max_len=8192"
#
# Builds into a temp dir, fuzzes with the seeds in tests/fuzz/corpus/HARNESS
# (new inputs go to the temp dir, never into the tree) and exits 1 if any
# harness crashed, leaked, hit undefined behaviour or broke an invariant,
# printing the reproducer's path and how to replay it. 77 if clang cannot
# build a fuzzer. `make check` replays the seeds and reproducers without
# libFuzzer (replay_* in tests/Makefile.am, tests/fuzz/replay.c).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-fuzz_config fuzz_escape fuzz_netaddr fuzz_policy fuzz_template}
CC=${CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}

case $secs in
'' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/udp-replyd-fuzz.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ "${FUZZ_KEEP:-0}" = 1 ] || [ "${failed:-1}" != 0 ]; then
		echo "run.sh: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
	"$CC" -x c -fsanitize=fuzzer,address,undefined -o "$work/probe" - 2>"$work/probe.log"; then
	echo "run.sh: $CC cannot build a libFuzzer target (apt-get install clang libclang-rt-14-dev):" >&2
	cat "$work/probe.log" >&2
	failed=0
	exit 77
fi

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -Wall -Wextra -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wno-unused-function
	-include $here/fuzz-prelude.h -I$top/src -I$here"
# None of the harnessed code talks to systemd: no libsystemd.
libs="$(pkg-config --cflags --libs libconfig) -pthread"

start=$(date +%s)
for h in $harnesses; do
	case $h in
	fuzz_config) srcs="config.c config-libconfig15.c escape.c netaddr.c template.c" ;;
	fuzz_escape) srcs="escape.c record.c log.c netaddr.c" ;;
	fuzz_netaddr) srcs="netaddr.c" ;;
	fuzz_policy) srcs="policy.c netaddr.c" ;;
	fuzz_template) srcs="template.c" ;;
	*) echo "run.sh: no harness '$h'" >&2; exit 2 ;;
	esac
	echo "run.sh: building $h"
	# shellcheck disable=SC2086,SC2046 # word splitting wanted
	"$CC" $flags "$here/$h.c" $(for s in $srcs; do echo "$top/src/$s"; done) $libs \
		-o "$work/$h"
done
built=$(date +%s)

# One harness: fuzz, then say how it went (its own line in summary).
run_one() {
	local h=$1 dict=()
	mkdir -p "$work/corpus/$h" "$work/artifacts/$h"
	[ -f "$here/$h.dict" ] && dict=(-dict="$here/$h.dict")
	# stdin from /dev/null: should @include ever be read again, an
	# @include "/dev/stdin" must not wait for a terminal.
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	(cd "$work" && LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0 "$work/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$h/" "${dict[@]}" \
		${FUZZ_ARGS:-} "$work/corpus/$h" "$here/corpus/$h" </dev/null >"$work/$h.log" 2>&1)
}

declare -A pid
running=0
for h in $harnesses; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "run.sh: fuzzing $h for ${secs}s"
	run_one "$h" &
	pid[$h]=$!
	running=$((running + 1))
done

failed=0
for h in $harnesses; do
	rc=0
	wait "${pid[$h]}" || rc=$?
	log=$work/$h.log
	# The last status line: "#N DONE cov: ..." (or "#N: cov: ..." with -fork).
	stats=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "run.sh: $h: exit $rc, ${execs:-?} executions; ${stats:-no final stats}"
	artifacts=$(find "$work/artifacts/$h" -type f ! -name 'slow-unit-*' 2>/dev/null)
	if [ "$rc" != 0 ] || [ -n "$artifacts" ]; then
		failed=1
		echo "run.sh: $h FAILED; log: $log" >&2
		grep -E 'ERROR: |runtime error:|invariant failed|SUMMARY:' "$log" | head -n 5 >&2 || true
		n=0
		for a in $artifacts; do
			n=$((n + 1))
			[ "$n" -le 5 ] || continue
			echo "run.sh: reproducer: $a" >&2
			echo "run.sh:   replay: $work/$h $a" >&2
		done
		[ "$n" -le 5 ] || echo "run.sh: ... $((n - 5)) more in $work/artifacts/$h" >&2
	fi
done
end=$(date +%s)
echo "run.sh: build $((built - start))s, fuzzing $((end - built))s, total $((end - start))s"
exit "$failed"
