// src/fhir: the FHIR R4 REST API (read/search), the FHIR side of the resource store it serves from
// (its SQL is src/store/fhir-resources.ts), and transaction Bundle saving. (validate.ts is exported here
// by its owner.)
export { createFhirApp } from './app.js';
export type { FhirAppDeps, FhirEnv } from './app.js';
export { reindexSearchColumns } from './reindex.js';
export { saveResources } from './resource-store.js';
export { SUPPORTED_TYPES, isSupportedType } from './resource-types.js';
export { SEARCH_PARAMS, hasPatientCompartment } from './search-params.js';
export { parseSearch } from './search-parse.js';
export { explainSearchType, searchType } from './search.js';
export { bundleRefusal, saveTransactionBundle, saveTransactionBundles } from './transaction-bundle.js';
export type { BundleItem, BundleSaveResult } from './transaction-bundle.js';
