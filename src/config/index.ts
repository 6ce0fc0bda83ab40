
export { ConfigError, loadConfig } from './env.js';
export type { Config } from './env.js';
