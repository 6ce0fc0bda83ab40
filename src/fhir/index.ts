// src/fhir: the FHIR R4 REST API (read/search), the FHIR side of the resource store it serves from
// (its SQL is src/store/fhir-resources.ts), and transaction Bundle saving. (validate.ts is exported here
// by its owner.)
export * from './app.js';
export * from './capability.js';
export * from './cursor.js';
export * from './date-param.js';
export * from './references.js';
export * from './resource-store.js';
export * from './resource-types.js';
export * from './search.js';
export * from './search-columns.js';
export * from './search-parse.js';
export * from './search-values.js';
export * from './searchset.js';
export * from './transaction-bundle.js';
