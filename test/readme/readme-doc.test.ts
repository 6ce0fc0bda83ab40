// The README harness's own rules: what counts as marked, which links are broken, what the bash run
// checks. Each rule is shown failing on a small document, so the README test cannot pass by accident.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokenLinks, parseMarker, parseReadme, unmarkedBlocks } from './readme-doc.js';
import { buildScript, freshEnv, parseTranscript, rewriteExpectations, runScript } from './readme-runner.js';

const fence = '```';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-readme-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('markers', () => {
  it.each([
    ['<!-- readme: run -->', { kind: 'run' }],
    ['<!-- readme: gateway -->', { kind: 'gateway' }],
    ['<!-- readme: skip: needs a Docker engine -->', { kind: 'skip', reason: 'needs a Docker engine' }],
    ['<!-- readme: skip — systemd -->', { kind: 'skip', reason: 'systemd' }],
  ])('%s', (comment, marker) => {
    expect(parseMarker(comment)).toEqual(marker);
  });

  it('refuses a skip without a reason, and other comments are not markers', () => {
    expect(parseMarker('<!-- readme: skip -->')).toHaveProperty('error');
    expect(parseMarker('<!-- a comment -->')).toBeUndefined();
  });

  it('flags an unmarked shell block, a fence without a language and a missing gateway block', () => {
    const md = [
      '# T', '', '<!-- readme: run -->', `${fence}sh`, 'echo marked', fence, '',
      '<!-- readme: skip -->', `${fence}bash`, 'echo no reason', fence, '',
      '<!-- readme: run -->', '', 'a paragraph voids the marker', '', `${fence}sh`, 'echo unmarked', fence, '',
      `${fence}`, 'no language', fence, '', `${fence}json`, '{}', fence, '',
    ].join('\n');
    const { blocks } = parseReadme(md);
    expect(blocks.map((b) => [b.line, b.lang, b.marker?.kind])).toEqual([[4, 'sh', 'run'], [9, 'bash', undefined], [17, 'sh', undefined], [21, '', undefined], [25, 'json', undefined]]);
    const problems = unmarkedBlocks(blocks);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^line 9: unreadable marker/);
    expect(problems[1]).toMatch(/^line 17: a sh block with no/);
    expect(problems[2]).toMatch(/^line 21: a fenced block without a language/);
    expect(problems[3]).toMatch(/0 blocks marked <!-- readme: gateway -->/);
  });

  it('reads a marked block inside a list item', () => {
    const md = ['- step one:', '', '  <!-- readme: run -->', `  ${fence}sh`, '  echo in a list', `  ${fence}`, ''].join('\n');
    expect(parseReadme(md).blocks).toEqual([{ line: 4, lang: 'sh', text: 'echo in a list', marker: { kind: 'run' } }]);
  });
});

describe('links', () => {
  it('finds anchors that no heading has and files that do not exist, GitHub-style slugs and duplicates', () => {
    writeFileSync(path.join(tmp, 'OTHER.md'), '# Other doc\n\n## Part `two`: here\n');
    const md = [
      '# Top', '## Senders: who may send from where', '## CLI', '## CLI', '',
      '[a](#senders-who-may-send-from-where) [b](#cli-1) [c](#cli-2) [d](OTHER.md#part-two-here)',
      '[e](OTHER.md#nope) [f](missing.md) [g](https://example.org/x) [h](OTHER.md)',
      '', `${fence}text`, '[not a link](#in-code)', fence,
    ].join('\n');
    const file = path.join(tmp, 'README.md');
    writeFileSync(file, md);
    expect(brokenLinks(file)).toEqual([
      'line 6: #cli-2: no heading has this anchor',
      'line 7: OTHER.md#nope: no heading has this anchor',
      'line 7: missing.md: no such file',
    ]);
  });
});

describe('the bash run', () => {
  it('turns `# expect` comments into expectations and reads transcripts', () => {
    expect(rewriteExpectations('# expect 409: stale version\ncurl x\n  # expect exit 1\nnpx y\n# expected nothing')).toBe(
      '__sb_expect http 409\ncurl x\n  __sb_expect exit 1\nnpx y\n# expected nothing');
    expect(parseTranscript('$ a\nout 1\nout 2\n$ b\n')).toEqual([{ command: 'a', expected: 'out 1\nout 2' }, { command: 'b', expected: '' }]);
    expect(parseTranscript('echo a')).toBeUndefined();
  });

  async function run(text: string, name: string) {
    const stateDir = path.join(tmp, name);
    const script = buildScript([{ line: 10, lang: 'sh', text, marker: { kind: 'run' } }], stateDir);
    return runScript(script, tmp, freshEnv({ PORT: '1' }), stateDir, 30_000);
  }

  it('stops at a failing command and names its README line', async () => {
    const r = await run('true\nfalse\necho never', 'fail');
    expect(r.code).not.toBe(0);
    expect(r.failures).toEqual([expect.stringMatching(/^README line 10: a command ended with exit 1/)]);
    expect(r.output).not.toContain('never');
  });

  it('checks npm/npx exit codes against `# expect exit N`, and an expectation nothing used', async () => {
    const ok = await run("# expect exit 3\nnpm exec -- sh -c 'exit 3'\nnpm --version >/dev/null", 'exit');
    expect(ok.failures).toEqual([]);
    const wrong = await run('# expect exit 3\nnpm --version >/dev/null', 'exit-wrong');
    expect(wrong.failures[0]).toMatch(/README line 10: exit 0, expected 3, from: npm --version/);
    const unused = await run('# expect 404\necho no curl here', 'unused');
    expect(unused.failures).toEqual(["README line 10: '# expect 404' is followed by no command it applies to"]);
  });

  it('counts a curl that reaches nothing as a failure', async () => {
    const r = await run("curl -s 'localhost:8080/healthz'", 'curl');
    expect(r.failures[0]).toMatch(/^README line 10: exit 7 \(HTTP none\) from: curl -s localhost:1\/healthz/);
  });
});
