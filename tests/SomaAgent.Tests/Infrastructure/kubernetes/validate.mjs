// Validates Kubernetes manifests against the official API schemas, as kubernetes-models ships them (generated from
// the Kubernetes OpenAPI spec). Usage: node validate.mjs FILE...  Prints one line per object, "ok <kind>/<name>" or
// "invalid <kind>/<name>: <errors>", and exits 1 when any object is invalid or of a kind it does not know.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      console.log(`invalid ${file}: ${document.errors.map((e) => e.message).join("; ")}`);
      failed = true;
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const name = `${object.kind}/${object.metadata?.name}`;
    const group = object.apiVersion.includes("/") ? object.apiVersion : `v1`;
    let Model;
    try {
      ({ [object.kind]: Model } = await import(`kubernetes-models/${group}/${object.kind}`));
    } catch {
      console.log(`invalid ${name}: no schema for ${object.apiVersion} ${object.kind}`);
      failed = true;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`ok ${name}`);
    } catch (error) {
      console.log(`invalid ${name}: ${error.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
