// Validates FHIR R4 JSON resources with FHIR.js (npm "fhir"): reads a JSON array on stdin, prints one array of
// error/fatal messages per resource. Usage: node fhir-validate.cjs <node_modules folder>
const path = require('node:path');
const { Fhir } = require(path.join(process.argv[2], 'fhir'));
const resources = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const fhir = new Fhir();
const results = resources.map((resource) => (fhir.validate(resource).messages || [])
  .filter((m) => m.severity === 'error' || m.severity === 'fatal')
  .map((m) => `${m.location}: ${m.message}`));
console.log(JSON.stringify(results));
