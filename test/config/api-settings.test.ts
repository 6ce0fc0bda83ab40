// The HTTP API's settings: the public base URL, HTTPS, the token lifetime cap, and what the gateway
// derives from them (the base FHIR links are built on; whether HSTS is sent).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { httpsServed, publicBaseUrl } from '../../src/gateway.js';

describe('HTTP API settings', () => {
  it('defaults: a 1 h token cap, no TLS, links on localhost:PORT', () => {
    const c = loadConfig({ PORT: '9090' });
    expect(c.AUTH_MAX_TOKEN_LIFETIME_S).toBe(3600);
    expect(publicBaseUrl(c)).toBe('http://localhost:9090');
    expect(httpsServed(c)).toBe(false);
  });

  it.each([
    [{ PUBLIC_BASE_URL: 'https://sb.example/' }, 'https://sb.example', true],
    [{ PUBLIC_BASE_URL: 'https://sb.example/switchboard' }, 'https://sb.example/switchboard', true],
    [{ PUBLIC_BASE_URL: 'http://10.0.0.5:8080' }, 'http://10.0.0.5:8080', false],
    [{ HTTP_TLS_CERT: 'c.pem', HTTP_TLS_KEY: 'k.pem', PORT: '8443' }, 'https://localhost:8443', true],
  ])('%j -> base %s, HTTPS %s', (env, base, https) => {
    const c = loadConfig(env);
    expect(publicBaseUrl(c)).toBe(base);
    expect(httpsServed(c)).toBe(https);
  });

  it.each(['sb.example', 'ftp://sb.example', 'https://sb.example/?x=1', 'https://sb.example/#top'])('PUBLIC_BASE_URL %s is refused', (v) => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: v })).toThrow(ConfigError);
  });

  it.each(['0', '-5', '1.5', 'an hour'])('AUTH_MAX_TOKEN_LIFETIME_S %s is refused', (v) => {
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME_S: v })).toThrow(ConfigError);
  });
});
