import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError, embeddedSettings } from '../../src/config/env.js';

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
  it('EMBEDDED_PG_SETTINGS: tuning settings only, each name=value one word', () => {
    expect(loadConfig({}).EMBEDDED_PG_SETTINGS).toEqual([]);
    expect(loadConfig({ EMBEDDED_PG_SETTINGS: 'max_wal_size=4GB, checkpoint_timeout=15min  autovacuum_naptime=5s' }).EMBEDDED_PG_SETTINGS)
      .toEqual([['max_wal_size', '4GB'], ['checkpoint_timeout', '15min'], ['autovacuum_naptime', '5s']]);
    // where it listens, who may connect, whether a commit is durable, what it loads or runs: never
    for (const bad of ['listen_addresses=0.0.0.0', 'port=5432', 'password_encryption=md5', 'synchronous_commit=off', 'fsync=off', 'full_page_writes=off',
      'autovacuum=off', 'shared_preload_libraries=x', 'archive_command=rm']) {
      expect(embeddedSettings(bad)).toMatch(/cannot be set here/);
      expect(() => loadConfig({ EMBEDDED_PG_SETTINGS: bad })).toThrow(ConfigError);
    }
    for (const bad of ["max_wal_size='4GB'", 'max_wal_size', 'max_wal_size=4GB;fsync=off', 'Max_wal_size=4GB', 'max_wal_size=$(id)']) expect(embeddedSettings(bad)).toMatch(/not name=value/);
    expect(embeddedSettings('max_wal_size=1GB max_wal_size=2GB')).toMatch(/twice/);
  });
  it('names every bad setting', () => {
    let err: unknown;
    try { loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toMatch(/PORT/);
    expect((err as ConfigError).problems.join('\n')).toMatch(/DATABASE_URL/);
  });
});
