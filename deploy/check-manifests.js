// deploy/check-manifests.js - the checks of deploy/check.sh on Kubernetes
// manifests; run by it with NODE_PATH set to the node_modules it installed.
//
// usage: node check-manifests.js WORKDIR FILE.yaml...
//
// For every document of every file:
//  1. YAML 1.2, strictly: a syntax error or a duplicate key fails.
//  2. The API schema of its apiVersion and kind (kubernetes-models, the
//     OpenAPI schema of one Kubernetes release compiled for ajv): types,
//     required fields, enums such as protocol: UDP.
//  3. Unknown fields: the schema lets any field through, as the API server
//     does not (kubectl apply fails on a misspelt field). Every document is
//     written out as a TypeScript object literal typed with the model's
//     interface, and tsc's excess-property check finds any field the API
//     does not have, at any depth.
//  4. What this deployment relies on, which no schema says: each workload's
//     udpsend probes ask a UDP port the container declares; each Service
//     selects a workload and targets a UDP port of it; each container runs
//     non-root, read-only, without capabilities or privilege escalation.
// The udp-replyd.conf of each ConfigMap is written to WORKDIR/conf/, and the
// UDP ports of the containers that mount it to WORKDIR/conf/NAME.ports, for
// check.sh to run "udp-replyd -t" on them.
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const YAML = require("yaml");

const [workdir, ...files] = process.argv.slice(2);
if (!workdir || files.length === 0) {
	console.error("usage: node check-manifests.js WORKDIR FILE.yaml...");
	process.exit(2);
}

let failures = 0;
function fail(where, msg) {
	console.log(`FAIL ${where}: ${msg}`);
	failures++;
}

// ---- 1. parse ----
const docs = [];	// { where, obj }
for (const file of files) {
	const text = fs.readFileSync(file, "utf8");
	const parsed = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
	parsed.forEach((d, i) => {
		const where = `${file} (document ${i + 1})`;
		if (d.errors.length) {
			for (const e of d.errors)
				fail(where, `YAML: ${e.message.split("\n")[0]}`);
			return;
		}
		const obj = d.toJS();
		if (obj === null || obj === undefined)
			return;		// an empty document, as after a trailing "---"
		docs.push({ where, obj });
	});
}

// ---- 2. the schema ----
function modelOf(where, obj) {
	if (typeof obj !== "object" || Array.isArray(obj)) {
		fail(where, "not a mapping");
		return null;
	}
	const { apiVersion, kind } = obj;
	if (typeof apiVersion !== "string" || typeof kind !== "string" ||
	    !/^[a-z0-9.]+(\/v[0-9a-z]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) {
		fail(where, "no valid apiVersion and kind");
		return null;
	}
	const mod = `kubernetes-models/${apiVersion}/${kind}`;
	try {
		return { mod, cls: require(mod)[kind] };
	} catch (e) {
		fail(where, `${kind} of ${apiVersion} is not in this Kubernetes release's API`);
		return null;
	}
}

const typed = [];	// { where, mod, kind, obj } for step 3
for (const { where, obj } of docs) {
	const m = modelOf(where, obj);
	if (!m || typeof m.cls !== "function")
		continue;
	try {
		new m.cls(obj).validate();
	} catch (e) {
		const errs = e.errors || [];
		if (!errs.length)
			fail(where, e.message);
		for (const x of errs)
			fail(where, `${x.instancePath || "/"} ${x.message}` +
				(x.params && x.params.allowedValues ? `: ${x.params.allowedValues.join(", ")}` : ""));
		continue;
	}
	typed.push({ where, mod: m.mod, kind: obj.kind, obj });
}

// ---- 3. unknown fields, with tsc ----
const tsdir = path.join(workdir, "ts");
fs.mkdirSync(tsdir, { recursive: true });
const lines = [];
const ranges = [];	// [first line, last line, where], 1-based
typed.forEach((t, i) => {
	const first = lines.length + 1;
	lines.push(`// ${t.where}`);
	lines.push(`import type { I${t.kind} as T${i} } from ${JSON.stringify(t.mod)};`);
	lines.push(...`export const doc${i}: T${i} = ${JSON.stringify(t.obj, null, 2)};`.split("\n"));
	ranges.push([first, lines.length, t.where]);
});
fs.writeFileSync(path.join(tsdir, "manifests.ts"), lines.join("\n") + "\n");
fs.writeFileSync(path.join(tsdir, "tsconfig.json"), JSON.stringify({
	compilerOptions: {
		strict: true, noEmit: true, target: "es2020", module: "commonjs",
		moduleResolution: "node", types: [], skipLibCheck: true,
		typeRoots: [], baseUrl: ".",
	},
	files: ["manifests.ts"],
}));
if (typed.length) {
	const tsc = path.join(workdir, "node_modules", "typescript", "bin", "tsc");
	let out = "";
	try {
		execFileSync(process.execPath, [tsc, "-p", tsdir, "--pretty", "false"], { encoding: "utf8" });
	} catch (e) {
		out = `${e.stdout || ""}${e.stderr || ""}`;
		if (!out.trim())
			out = `manifests.ts(1,1): error: tsc failed: ${e.message}`;
	}
	for (const l of out.split("\n").filter((s) => s.trim())) {
		const m = /^.*manifests\.ts\((\d+),\d+\): error (TS\d+: )?(.*)$/.exec(l);
		if (!m) {
			if (!/^\s/.test(l))	// continuation lines of the message before
				fail("tsc", l);
			continue;
		}
		const n = Number(m[1]);
		const r = ranges.find(([a, b]) => n >= a && n <= b);
		fail(r ? r[2] : "tsc", m[3]);
	}
}

// ---- 4. what the deployment relies on ----
function podSpecOf(obj) {
	const t = obj.spec && obj.spec.template;
	return t && t.spec ? { labels: (t.metadata && t.metadata.labels) || {}, spec: t.spec } : null;
}

function udpPorts(c) {
	return (c.ports || []).filter((p) => (p.protocol || "TCP") === "UDP");
}

// udpsend's PORT operand: after the options and HOST, or inside HOST:PORT.
function udpsendPort(cmd) {
	if (!Array.isArray(cmd) || !/(^|\/)udpsend$/.test(cmd[0]))
		return null;
	const ops = [];
	for (let i = 1; i < cmd.length; i++) {
		const a = cmd[i];
		if (ops.length === 0 && /^-[rst]$/.test(a)) { i++; continue; }
		if (ops.length === 0 && a.startsWith("-") && a !== "--") continue;
		if (a === "--" && ops.length === 0) continue;
		ops.push(a);
	}
	if (ops.length === 0)
		return undefined;
	const hp = /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(ops[0]);
	if (hp)
		return Number(hp[1]);
	return ops.length > 1 ? Number(ops[1]) : undefined;
}

const workloads = [];
for (const { where, obj } of docs) {
	const pod = podSpecOf(obj);
	if (!pod)
		continue;
	workloads.push({ where, obj, pod });
	const ps = pod.spec;
	const psc = ps.securityContext || {};
	for (const c of ps.containers || []) {
		const cw = `${where} container ${c.name}`;
		const sc = c.securityContext || {};
		const ports = udpPorts(c).map((p) => p.containerPort);
		if (!(sc.runAsNonRoot === true || psc.runAsNonRoot === true))
			fail(cw, "runAsNonRoot is not true");
		if (sc.readOnlyRootFilesystem !== true)
			fail(cw, "readOnlyRootFilesystem is not true");
		if (sc.allowPrivilegeEscalation !== false)
			fail(cw, "allowPrivilegeEscalation is not false");
		if (!(sc.capabilities && (sc.capabilities.drop || []).includes("ALL")))
			fail(cw, "capabilities do not drop ALL");
		if ((sc.capabilities && sc.capabilities.add || []).length)
			fail(cw, "capabilities added: none is needed for a port above 1023");
		for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
			const p = c[kind];
			if (!p || !p.exec)
				continue;
			const port = udpsendPort(p.exec.command);
			if (port === null)
				continue;
			if (port === undefined || !ports.includes(port))
				fail(cw, `${kind} asks port ${port} with udpsend, which is not a UDP containerPort (${ports.join(", ") || "none"})`);
		}
		// The ConfigMaps this container mounts, with its UDP ports.
		for (const vm of c.volumeMounts || []) {
			const vol = (ps.volumes || []).find((v) => v.name === vm.name);
			if (!vol || !vol.configMap)
				continue;
			const ns = obj.metadata.namespace || "default";
			const f = path.join(workdir, "conf", `${ns}.${vol.configMap.name}.ports`);
			fs.mkdirSync(path.dirname(f), { recursive: true });
			fs.appendFileSync(f, ports.map((n) => `${n} ${cw}\n`).join(""));
		}
	}
}

for (const { where, obj } of docs) {
	const ns = (obj.metadata && obj.metadata.namespace) || "default";
	if (obj.kind === "ConfigMap" && obj.data && typeof obj.data["udp-replyd.conf"] === "string") {
		const f = path.join(workdir, "conf", `${ns}.${obj.metadata.name}.conf`);
		fs.mkdirSync(path.dirname(f), { recursive: true });
		fs.writeFileSync(f, obj.data["udp-replyd.conf"]);
		fs.writeFileSync(`${f}.where`, where);
	}
	if (obj.kind !== "Service" || !obj.spec)
		continue;
	const sel = obj.spec.selector || {};
	const keys = Object.keys(sel);
	const matched = workloads.filter((w) =>
		(w.obj.metadata.namespace || "default") === ns && keys.length &&
		keys.every((k) => w.pod.labels[k] === sel[k]));
	if (!matched.length) {
		fail(where, `selector ${JSON.stringify(sel)} selects no workload of these manifests`);
		continue;
	}
	for (const p of obj.spec.ports || []) {
		if (p.protocol !== "UDP")
			fail(where, `port ${p.name || p.port} is not protocol: UDP`);
		const target = p.targetPort === undefined ? p.port : p.targetPort;
		for (const w of matched) {
			const ok = (w.pod.spec.containers || []).some((c) => udpPorts(c).some((cp) =>
				typeof target === "string" ? cp.name === target : cp.containerPort === target));
			if (!ok)
				fail(where, `targetPort ${target} is no UDP port of ${w.where}`);
		}
	}
	if (["LoadBalancer", "NodePort"].includes(obj.spec.type) && obj.spec.externalTrafficPolicy !== "Local")
		fail(where, "externalTrafficPolicy is not Local: clients would reach the pods with a node's address, and share its rate limit");
}

console.log(`manifests: ${docs.length} documents in ${files.length} files, ${typed.length} of known kinds, ${failures} failures`);
process.exit(failures ? 1 : 0);
