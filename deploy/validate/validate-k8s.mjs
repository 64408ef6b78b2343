// Offline schema check of Kubernetes manifests: every document is validated against the JSON schema of its
// apiVersion/kind generated from the Kubernetes OpenAPI spec (kubernetes-models), the check `kubectl apply
// --dry-run=client` would make if it could reach a cluster for discovery. Usage: node validate-k8s.mjs DIR
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
if (!dir) { console.error("usage: node validate-k8s.mjs DIR"); process.exit(2); }

let documents = 0;
const problems = [];
const files = readdirSync(dir).filter(f => /\.ya?ml$/.test(f)).sort();
// kustomization.yaml is kustomize's input, not a cluster object: check only that every resource it lists is here.
for (const file of files.filter(f => f === "kustomization.yaml")) {
  for (const resource of parseAllDocuments(readFileSync(join(dir, file), "utf8"))[0]?.toJS()?.resources ?? [])
    if (!files.includes(resource)) problems.push(`${file}: resource ${resource} does not exist`);
}
for (const file of files.filter(f => f !== "kustomization.yaml")) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    if (doc.errors.length) { problems.push(`${file}: ${doc.errors.map(e => e.message).join("; ")}`); continue; }
    const obj = doc.toJS();
    if (obj == null) continue;
    documents++;
    const where = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    if (!obj.apiVersion || !obj.kind) { problems.push(`${where}: apiVersion and kind are required`); continue; }
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : [null, obj.apiVersion];
    const module = `kubernetes-models/${group ? `${group}/` : ""}${version}/${obj.kind}`;
    let Model;
    try { Model = (await import(module))[obj.kind]; } catch { problems.push(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`); continue; }
    try { new Model(obj).validate(); } catch (e) { problems.push(`${where}: ${e.message}`); }
  }
}
for (const p of problems) console.error(p);
console.log(`${documents} document(s) checked, ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
