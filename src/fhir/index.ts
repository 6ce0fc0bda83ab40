// src/fhir: the FHIR R4 REST API (read/search), the FHIR side of the resource store it serves from
// (its SQL is src/store/fhir-resources.ts), and transaction Bundle saving. (validate.ts is exported here
// by its owner.)
export { createFhirApp } from './app.js';
export { saveResources } from './resource-store.js';
export { SUPPORTED_TYPES } from './resource-types.js';
export { bundleRefusal, saveTransactionBundle } from './transaction-bundle.js';
