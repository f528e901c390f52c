// Validates every manifest in a folder of Kubernetes YAML:
//  1. against the Kubernetes OpenAPI schema of its apiVersion/kind (kubernetes-models: types,
//     required fields, enums, formats; like kubeconform without -strict, unknown fields are not
//     reported by the schema, so the checks below name the fields this project relies on);
//  2. against what the project needs of them: every Secret and volume claim a workload names is
//     defined in the folder, every workload container has CPU and memory requests and limits and
//     runs non-root on a read-only root file system, the API has at least two replicas, liveness
//     and readiness probes, a PodDisruptionBudget and a Service that select its pods, the
//     training CronJob never runs twice at once, and kustomization.yaml lists only files that exist.
// Exit code 1 with every problem listed, 0 with one line per manifest checked.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { parseAllDocuments } from "yaml";

const folder = process.argv[2] ?? "../kubernetes";
const problems = [];
const manifests = [];
let kustomization = null;

for (const file of readdirSync(folder).filter(f => f.endsWith(".yaml") || f.endsWith(".yml")).sort()) {
  const docs = parseAllDocuments(readFileSync(join(folder, file), "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      problems.push(`${file}: YAML: ${doc.errors.map(e => e.message).join("; ")}`);
      continue;
    }
    const object = doc.toJS();
    if (object == null) continue;
    if (object.kind === "Kustomization") { kustomization = { file, object }; continue; }
    manifests.push({ file, object });
  }
}

// 1. Schema.
const modelPath = ({ apiVersion, kind }) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
};
for (const m of manifests) {
  const { apiVersion, kind, metadata } = m.object;
  m.name = `${m.file}: ${kind ?? "?"}/${metadata?.name ?? "?"}`;
  if (!apiVersion || !kind) { problems.push(`${m.name}: apiVersion and kind are required`); continue; }
  let Model;
  try {
    Model = (await import(modelPath(m.object)))[kind];
  } catch {
    problems.push(`${m.name}: no schema for ${apiVersion} ${kind} (a typo, or an API version Kubernetes removed)`);
    continue;
  }
  try {
    new Model(m.object).validate();
  } catch (e) {
    problems.push(`${m.name}: schema: ${e.message}`);
  }
}

// 2. What the project needs.
const byKind = kind => manifests.filter(m => m.object.kind === kind);
const defined = kind => new Set(byKind(kind).map(m => m.object.metadata?.name));
const secrets = defined("Secret");
const claims = defined("PersistentVolumeClaim");
const podSpecOf = o => o.kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template?.spec
  : ["Deployment", "Job", "StatefulSet", "DaemonSet"].includes(o.kind) ? o.spec?.template?.spec : null;
const matches = (selector, labels) => selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

for (const m of manifests) {
  const pod = podSpecOf(m.object);
  if (!pod) continue;
  const need = (ok, what) => { if (!ok) problems.push(`${m.name}: ${what}`); };
  need(pod.securityContext?.runAsNonRoot === true, "pod securityContext.runAsNonRoot must be true");
  for (const c of pod.containers ?? []) {
    const r = c.resources ?? {};
    need(r.requests?.cpu && r.requests?.memory, `container ${c.name}: resources.requests.cpu and .memory are required`);
    need(r.limits?.cpu && r.limits?.memory, `container ${c.name}: resources.limits.cpu and .memory are required`);
    need(c.securityContext?.readOnlyRootFilesystem === true, `container ${c.name}: securityContext.readOnlyRootFilesystem must be true`);
    need(c.securityContext?.allowPrivilegeEscalation === false, `container ${c.name}: securityContext.allowPrivilegeEscalation must be false`);
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) need(secrets.has(ref.name), `container ${c.name}: env ${e.name} reads Secret ${ref.name}, which no manifest here defines`);
    }
    for (const f of c.envFrom ?? []) {
      if (f.secretRef) need(secrets.has(f.secretRef.name), `container ${c.name}: envFrom Secret ${f.secretRef.name} is not defined here`);
    }
    const mounted = new Set((pod.volumes ?? []).map(v => v.name));
    for (const vm of c.volumeMounts ?? []) need(mounted.has(vm.name), `container ${c.name}: mounts volume ${vm.name}, which the pod does not declare`);
  }
  for (const v of pod.volumes ?? []) {
    if (v.persistentVolumeClaim) need(claims.has(v.persistentVolumeClaim.claimName), `volume ${v.name}: claim ${v.persistentVolumeClaim.claimName} is not defined here`);
  }
  if (m.object.kind === "CronJob") need(m.object.spec?.concurrencyPolicy === "Forbid", "concurrencyPolicy must be Forbid");
}

for (const d of byKind("Deployment")) {
  const need = (ok, what) => { if (!ok) problems.push(`${d.name}: ${what}`); };
  const labels = d.object.spec?.template?.metadata?.labels;
  need((d.object.spec?.replicas ?? 1) >= 2, "at least two replicas");
  for (const c of d.object.spec?.template?.spec?.containers ?? []) {
    need(c.livenessProbe && c.readinessProbe, `container ${c.name}: liveness and readiness probes are required`);
  }
  need(byKind("PodDisruptionBudget").some(p => matches(p.object.spec?.selector?.matchLabels, labels)), "no PodDisruptionBudget selects its pods");
  need(byKind("Service").some(s => matches(s.object.spec?.selector, labels)), "no Service selects its pods");
}

if (kustomization) {
  for (const r of kustomization.object.resources ?? []) {
    if (!existsSync(join(folder, r))) problems.push(`${kustomization.file}: resource ${r} does not exist`);
  }
  const listed = new Set(kustomization.object.resources ?? []);
  for (const m of manifests) {
    if (m.object.kind !== "Secret" && !listed.has(m.file)) problems.push(`${kustomization.file}: does not list ${m.file}`);
  }
}

for (const m of manifests) console.log(`checked ${m.name}`);
if (problems.length) {
  console.error(`Kubernetes manifests in ${basename(folder)}: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`Kubernetes manifests: ${manifests.length} objects valid against the Kubernetes schema and the project's checks`);
