// The README, followed top to bottom, works: its quick start starts the gateway (`npm start`, the
// embedded PostgreSQL in a temporary DATA_DIR), then every shell block marked `<!-- readme: run -->`
// runs in order in one bash session, with each curl's status and each CLI's exit code checked
// (readme-runner.ts says how, and what is substituted for a fresh machine's defaults). Every shell
// block is run or skipped with a reason; every relative link and anchor resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateLocalKey, mintLocalToken } from '../../src/auth/index.js';
import { brokenLinks, parseReadme, unmarkedBlocks, type ParsedReadme } from './readme-doc.js';
import { buildScript, freePort, freshEnv, runScript, startGateway, switchboardBin, type Gateway } from './readme-runner.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = path.join(ROOT, 'README.md');
/**
 * A guard against a hang, not the target: the commands take ~40 s on an idle 2-core machine (a dozen
 * CLI starts at ~3 s each: npx, then tsx loading the sources), but several times that when the
 * machine is shared with other builds.
 */
const COMMANDS_BUDGET_MS = 240_000;

let readme: ParsedReadme;
let tmp: string;
let gateway: Gateway | undefined;

beforeAll(() => {
  readme = parseReadme(readFileSync(README, 'utf8'));
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-readme-'));
});

afterAll(async () => {
  await gateway?.stop();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('README.md', () => {
  it('marks every shell block run or skip (with a reason), and exactly one block starts the gateway', () => {
    expect(unmarkedBlocks(readme.blocks)).toEqual([]);
    expect(readme.blocks.filter((b) => b.marker?.kind === 'run').length).toBeGreaterThan(0);
  });

  it('has no broken relative link or anchor', () => {
    expect(readme.links.length).toBeGreaterThan(0);
    expect(brokenLinks(README, readme)).toEqual([]);
  });

  it('runs top to bottom: the quick start, then every block marked run', async () => {
    const gatewayBlock = readme.blocks.find((b) => b.marker?.kind === 'gateway');
    expect(gatewayBlock, 'a block marked <!-- readme: gateway -->').toBeDefined();
    const env = freshEnv({
      PORT: String(await freePort()), MLLP_PORT: String(await freePort()),
      HOST: '127.0.0.1', MLLP_HOST: '127.0.0.1', DATA_DIR: path.join(tmp, 'data'),
    });
    const t0 = Date.now();
    gateway = await startGateway(gatewayBlock!, ROOT, env, path.join(tmp, 'gateway.log'));
    const gatewayMs = Date.now() - t0;

    const stateDir = path.join(tmp, 'state');
    const script = buildScript(readme.blocks, stateDir);
    const started = Date.now();
    const result = await runScript(script, ROOT, { ...env, SB_BIN: switchboardBin(ROOT) }, stateDir, COMMANDS_BUDGET_MS);
    const slowest = [...result.timings].sort((a, b) => b.ms - a.ms).slice(0, 5).map((t) => `${t.ms} ms ${t.command}(line ${t.line})`);
    console.log(`README: gateway ready in ${gatewayMs} ms; ${result.timings.length} commands in ${Date.now() - started} ms; slowest: ${slowest.join('; ')}`);
    const report = `${result.failures.join('\n')}\n--- output (last 60 lines) ---\n${result.output.split('\n').slice(-60).join('\n')}\n--- gateway log (last 20 lines) ---\n${gateway.logTail(20)}`;
    expect(result.failures, report).toEqual([]);
    expect(result.code, report).toBe(0);
    expect(result.output).toContain('=== README done');
    for (const t of script.transcripts) {
      const actual = readFileSync(t.outFile, 'utf8').replace(/\s+$/, '');
      expect(actual, `output of \`${t.command}\` (README block at line ${t.block.line})\n${report}`).toBe(t.expected);
    }
    // the gateway kept running through all of it
    expect(gateway.child.exitCode).toBeNull();

    // The quick start's lab result and call note are about one patient: one Patient, not two.
    const token = await mintLocalToken(await loadOrCreateLocalKey(env.DATA_DIR!), { scopes: ['system/Patient.rs'], audience: 'switchboard' });
    const patients = await fetch(`http://127.0.0.1:${env.PORT}/fhir/Patient?identifier=MRN100234`, { headers: { authorization: `Bearer ${token}` } });
    expect(patients.status).toBe(200);
    const bundle = await patients.json() as { entry?: { resource: { identifier?: { system?: string; value?: string }[] } }[] };
    expect(bundle.entry?.map((e) => e.resource.identifier?.find((i) => i.value === 'MRN100234')?.system)).toEqual(['urn:switchboard:id:GENHOSP']);
  }, COMMANDS_BUDGET_MS + 90_000);
});
