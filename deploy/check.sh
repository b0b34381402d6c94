#!/bin/bash
# deploy/check.sh - validate deploy/: the Kubernetes manifests against the
# API of Kubernetes v1.33, and the udp-replyd configurations they and the
# image carry, with the daemon's own check.
#
# usage: deploy/check.sh [FILE.yaml...]   (default: every deploy/kubernetes/**.yaml)
#
# It installs, with npm, into a temporary directory removed on exit:
#   kubernetes-models 4.5.1  the OpenAPI schema of Kubernetes v1.33.0,
#                            compiled into validators (ajv) and TypeScript
#                            interfaces, one per kind
#   typescript 5.9.3         tsc, whose excess-property check finds fields
#                            that the API does not have (the schema alone
#                            lets them through; the API server refuses them)
#   yaml 2.9.1               the YAML 1.2 parser (duplicate keys are errors)
# and runs deploy/check-manifests.js (what it checks is written there). Then
# "udp-replyd -t" on deploy/udp-replyd.conf and on each ConfigMap's
# udp-replyd.conf, and the port of each against the containerPort of the
# pods that mount it. The daemon is $UDP_REPLYD, else src/udp-replyd of the
# tree (an in-tree build), else udp-replyd on PATH; without one that part
# fails, unless UDP_REPLYD=none.
#
# Needs node (18 or later) and npm, and the npm registry (npm's cache, ~/.npm,
# makes a second run quick). Exit 0: all good; 1: a check failed (each
# failure is one "FAIL where: what" line); 2: usage or a missing tool.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
K8S_MODELS=kubernetes-models@4.5.1	# Kubernetes v1.33.0
TYPESCRIPT=typescript@5.9.3
YAMLPKG=yaml@2.9.1

die() {
	echo "check.sh: $*" >&2
	exit 2
}

for t in node npm; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t not found: apt-get install nodejs npm"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old: 18 or later"

if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(find "$here/kubernetes" -name '*.yaml' | LC_ALL=C sort)
fi
[ "${#files[@]}" -gt 0 ] || die "no manifests"
for f in "${files[@]}"; do
	[ -r "$f" ] || die "cannot read $f"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/udp-replyd-deploy-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "check.sh: npm install $K8S_MODELS $TYPESCRIPT $YAMLPKG"
(cd "$work" && printf '{ "private": true }\n' >package.json &&
	timeout 600 npm install --no-audit --no-fund --loglevel=error \
		"$K8S_MODELS" "$TYPESCRIPT" "$YAMLPKG" >npm.log 2>&1) ||
	{ cat "$work/npm.log" >&2; die "npm install failed"; }

rc=0
NODE_PATH=$work/node_modules node "$here/check-manifests.js" "$work" "${files[@]}" || rc=1

# The configurations, with the daemon's own check.
daemon=${UDP_REPLYD:-}
if [ -z "$daemon" ]; then
	if [ -x "$top/src/udp-replyd" ]; then
		daemon=$top/src/udp-replyd
	else
		daemon=$(command -v udp-replyd || true)
	fi
fi
conf_check() {	# FILE WHERE: udp-replyd -t; prints the ports it serves
	local out
	if ! out=$("$daemon" -t -c "$1" 2>&1); then
		echo "FAIL $2: udp-replyd -t: $out" >&2
		return 1
	fi
	printf '%s\n' "$out" | sed -n 's/^ *port \([0-9]*\)$/\1/p'
}
nconf=0
if [ "$daemon" = none ]; then
	echo "configs: not checked (UDP_REPLYD=none)"
elif [ -z "$daemon" ] || [ ! -x "$daemon" ]; then
	echo "FAIL configs: no udp-replyd to check them with (build the tree, or set UDP_REPLYD)"
	rc=1
else
	conf_check "$here/udp-replyd.conf" deploy/udp-replyd.conf >/dev/null || rc=1
	nconf=1
	for c in "$work"/conf/*.conf; do
		[ -e "$c" ] || continue
		nconf=$((nconf + 1))
		where=$(cat "$c.where")
		ports=$(conf_check "$c" "$where") || { rc=1; continue; }
		p=${c%.conf}.ports
		[ -e "$p" ] || continue
		while read -r port who; do
			grep -qx "$port" <<<"$ports" ||
				{ echo "FAIL $who: containerPort $port, but its ConfigMap ($where) serves port(s) ${ports//$'\n'/ }"; rc=1; }
		done <"$p"
	done
	echo "configs: $nconf checked with $daemon -t"
fi

if [ "$rc" = 0 ]; then
	echo "check.sh: all good (${#files[@]} files; Kubernetes v1.33 schema from $K8S_MODELS)"
else
	echo "check.sh: FAILED"
fi
exit "$rc"
