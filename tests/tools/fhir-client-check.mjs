// Drives a FHIR server with fhir-kit-client (an independent client) and prints what it saw as JSON.
// Usage: node fhir-client-check.mjs <fhir base url> <node_modules folder>
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [baseUrl, nodeModules] = process.argv.slice(2);
const mod = await import(pathToFileURL(join(nodeModules, 'fhir-kit-client', 'dist', 'client.js')).href);
const Client = mod.default ?? mod.Client;
const client = new Client({ baseUrl });

const capability = await client.capabilityStatement();
const patient = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', identifier: [{ system: 'urn:medvision:patient', value: 'kit-1' }], gender: 'female' },
});

const study = 'urn:uuid:8f0c6f4e-1b7e-4a55-9d0a-3c2b1a0f9e01';
const obs = 'urn:uuid:8f0c6f4e-1b7e-4a55-9d0a-3c2b1a0f9e02';
const report = 'urn:uuid:8f0c6f4e-1b7e-4a55-9d0a-3c2b1a0f9e03';
const subject = { reference: `Patient/${patient.id}` };
const response = await client.transaction({
  body: {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: report,
        resource: {
          resourceType: 'DiagnosticReport', status: 'preliminary', subject,
          code: { coding: [{ system: 'http://loinc.org', code: '18748-4' }] },
          imagingStudy: [{ reference: study }], result: [{ reference: obs }],
        },
        request: { method: 'POST', url: 'DiagnosticReport' },
      },
      {
        fullUrl: study,
        resource: {
          resourceType: 'ImagingStudy', status: 'available', subject,
          identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3.4' }],
        },
        request: { method: 'POST', url: 'ImagingStudy' },
      },
      {
        fullUrl: obs,
        resource: {
          resourceType: 'Observation', status: 'preliminary', subject,
          code: { text: 'nodule' }, derivedFrom: [{ reference: study }],
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  },
});

const searched = await client.search({
  resourceType: 'DiagnosticReport',
  searchParams: { patient: patient.id, _include: 'DiagnosticReport:result' },
});
const match = searched.entry.find((e) => e.search.mode === 'match').resource;
const readReport = await client.read({ resourceType: 'DiagnosticReport', id: match.id });
const [obsType, obsId] = readReport.result[0].reference.split('/');
const readObservation = await client.read({ resourceType: obsType, id: obsId });
let missingStatus = null;
let missingOutcome = null;
try {
  await client.read({ resourceType: 'Observation', id: 'no-such-observation' });
} catch (error) {
  missingStatus = error.response?.status ?? null;
  missingOutcome = error.response?.data?.resourceType ?? null;
}

console.log(JSON.stringify({
  fhirVersion: capability.fhirVersion,
  patientId: patient.id,
  transactionType: response.type,
  transactionStatuses: response.entry.map((e) => e.response.status),
  transactionLocations: response.entry.map((e) => e.response.location),
  searchTotal: searched.total,
  searchModes: searched.entry.map((e) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`),
  report: readReport,
  observation: readObservation,
  missingStatus,
  missingOutcome,
}));
