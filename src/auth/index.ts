// src/auth: bearer JWTs (jose), the local signing key, SMART scopes.
export * from './keys.js';
export * from './token.js';
export * from './scopes.js';
export * from './middleware.js';
