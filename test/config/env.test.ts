import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config/env.js';

describe('configuration', () => {
  it('has documented defaults', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 8080, MLLP_PORT: 2575, DATA_DIR: './data', MLLP_MAX_FRAME_BYTES: 1048576, DEV_NO_AUTH: false });
  });
  it('reads overrides from the environment', () => {
    expect(loadConfig({ PORT: '0', MLLP_MAX_FRAME_BYTES: '2048', DEV_NO_AUTH: 'true' })).toMatchObject({ PORT: 0, MLLP_MAX_FRAME_BYTES: 2048, DEV_NO_AUTH: true });
  });
  it("PROCESSING_YOUNG_MB: the processing thread's young generation, 16 MiB unless set, 8..1024", () => {
    expect(loadConfig({}).PROCESSING_YOUNG_MB).toBe(16);
    expect(loadConfig({ PROCESSING_YOUNG_MB: '96' }).PROCESSING_YOUNG_MB).toBe(96);
    for (const bad of ['4', '2048', 'lots', '1.5']) expect(() => loadConfig({ PROCESSING_YOUNG_MB: bad })).toThrow(ConfigError);
  });
  it('names every bad setting', () => {
    let err: unknown;
    try { loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toMatch(/PORT/);
    expect((err as ConfigError).problems.join('\n')).toMatch(/DATABASE_URL/);
  });
});
