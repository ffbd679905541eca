// Validates FHIR R4 JSON resources with FHIR.js (npm "fhir", an independent R4 validator built from the HL7
// structure definitions and value sets). Reads a JSON array of resources on stdin; writes one result per resource:
// {"valid": bool, "errors": [...], "warnings": [...]}. Module root: MEDVISION_NODE_MODULES or ./node_modules.
'use strict';
const path = require('path');
const modules = process.env.MEDVISION_NODE_MODULES || path.join(__dirname, 'node_modules');
const { Fhir } = require(path.join(modules, 'fhir'));

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
  const fhir = new Fhir();
  const results = JSON.parse(input).map(resource => {
    const outcome = fhir.validate(resource);
    const describe = m => `${m.location}: ${m.message}`;
    return {
      valid: outcome.valid,
      errors: outcome.messages.filter(m => m.severity === 'error').map(describe),
      warnings: outcome.messages.filter(m => m.severity !== 'error').map(describe),
    };
  });
  process.stdout.write(JSON.stringify(results));
});
