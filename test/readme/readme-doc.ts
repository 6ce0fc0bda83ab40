// Reads README.md as a test plan: its fenced blocks with the `<!-- readme: … -->` marker before each,
// its headings' GitHub anchors, and its links. Parsing is marked's lexer (CommonMark/GFM), anchors are
// github-slugger's (the algorithm GitHub uses for heading ids, duplicates numbered -1, -2, …).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { marked, type Token, type Tokens } from 'marked';
import GithubSlugger from 'github-slugger';

/** Languages whose blocks are commands a reader types: each needs a run/skip/gateway marker. */
export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

/**
 * What the marker before a block says:
 * - `run`: the harness runs it in bash, in order, in one shell session (variables carry over);
 * - `gateway`: the block starts the gateway; the harness runs its `npm start` only (see readme-runner.ts);
 * - `skip: REASON`: not run in CI, for the reason given (required).
 */
export type Marker = { kind: 'run' } | { kind: 'gateway' } | { kind: 'skip'; reason: string };

export interface ReadmeBlock {
  /** 1-based line of the opening fence in the file */
  line: number;
  lang: string;
  text: string;
  marker?: Marker;
  /** a marker comment that was there but could not be read (e.g. `skip` without a reason) */
  badMarker?: string;
}

export interface ReadmeLink {
  href: string;
  line: number;
}

export interface ParsedReadme {
  blocks: ReadmeBlock[];
  anchors: Set<string>;
  links: ReadmeLink[];
}

const MARKER = /^<!--\s*readme:\s*(.*?)\s*-->$/s;

export function parseMarker(comment: string): Marker | { error: string } | undefined {
  const m = MARKER.exec(comment.trim());
  if (!m) return undefined;
  const body = m[1]!;
  if (body === 'run') return { kind: 'run' };
  if (body === 'gateway') return { kind: 'gateway' };
  const skip = /^skip\s*(?::|—|-)\s*(\S.*)$/s.exec(body);
  if (skip) return { kind: 'skip', reason: skip[1]!.trim() };
  return { error: `unreadable marker '${comment.trim()}': expected readme: run | gateway | skip: REASON` };
}

/** Every token in document order, descending into lists, blockquotes, tables and inline content. */
function* walk(tokens: Token[]): Generator<Token> {
  for (const t of tokens) {
    yield t;
    if (t.type === 'table') {
      const table = t as Tokens.Table;
      for (const cell of table.header) yield* walk(cell.tokens);
      for (const row of table.rows) for (const cell of row) yield* walk(cell.tokens);
      continue;
    }
    if (t.type === 'list') { yield* walk((t as Tokens.List).items); continue; }
    if ('tokens' in t && Array.isArray(t.tokens)) yield* walk(t.tokens);
  }
}

/** A heading's rendered text (what GitHub slugs): code spans, emphasis and links reduced to their text. */
function plainText(tokens: Token[]): string {
  return tokens.map((t) => ('tokens' in t && Array.isArray(t.tokens) ? plainText(t.tokens) : 'text' in t ? String(t.text) : '')).join('');
}

export function parseReadme(markdown: string): ParsedReadme {
  const tokens = marked.lexer(markdown);
  const slugger = new GithubSlugger();
  const blocks: ReadmeBlock[] = [];
  const anchors = new Set<string>();
  const links: ReadmeLink[] = [];
  // Line numbers: find each token's raw text in the file from where the previous one was found.
  let cursor = 0;
  const lineAt = (raw: string): number => {
    const at = markdown.indexOf(raw, cursor);
    if (at < 0) return 0;
    cursor = at;
    return markdown.slice(0, at).split('\n').length;
  };
  // A marker applies to the block right after it (blank lines aside); anything else in between voids it.
  let pending: { marker?: Marker; error?: string } | undefined;
  for (const t of walk(tokens)) {
    if (t.type === 'space') continue;
    if (t.type === 'html' && MARKER.test(t.raw.trim())) {
      const m = parseMarker(t.raw);
      pending = m && 'error' in m ? { error: m.error } : { marker: m };
      lineAt(t.raw.trim());
      continue;
    }
    if (t.type === 'code') {
      const code = t as Tokens.Code;
      if (code.codeBlockStyle !== 'indented') {
        // inside a list item marked re-reads the item without its indent: find the fence line alone then
        const line = lineAt(code.raw) || lineAt(code.raw.split('\n')[0]!.trim());
        const block: ReadmeBlock = { line, lang: (code.lang ?? '').trim().split(/\s+/)[0] ?? '', text: code.text };
        if (pending?.marker) block.marker = pending.marker;
        if (pending?.error) block.badMarker = pending.error;
        blocks.push(block);
      }
      pending = undefined;
      continue;
    }
    pending = undefined;
    if (t.type === 'heading') {
      anchors.add(slugger.slug(plainText((t as Tokens.Heading).tokens)));
      lineAt(t.raw);
    }
    if (t.type === 'link' || t.type === 'image') {
      const at = markdown.indexOf(t.raw, cursor);
      links.push({ href: (t as Tokens.Link).href, line: at < 0 ? 0 : markdown.slice(0, at).split('\n').length });
    }
  }
  return { blocks, anchors, links };
}

/** Blocks that break the rule "every shell block is run or skipped with a reason", each with why. */
export function unmarkedBlocks(blocks: ReadmeBlock[]): string[] {
  const problems: string[] = [];
  for (const b of blocks) {
    if (!b.lang) { problems.push(`line ${b.line}: a fenced block without a language (say \`text\` for a usage synopsis, \`sh\` for commands)`); continue; }
    if (b.badMarker) { problems.push(`line ${b.line}: ${b.badMarker}`); continue; }
    if (!SHELL_LANGS.has(b.lang)) {
      if (b.marker && b.marker.kind !== 'skip') problems.push(`line ${b.line}: a ${b.lang} block marked ${b.marker.kind}: only shell blocks run`);
      continue;
    }
    if (!b.marker) problems.push(`line ${b.line}: a ${b.lang} block with no <!-- readme: run --> or <!-- readme: skip: REASON --> before it`);
  }
  const gateways = blocks.filter((b) => b.marker?.kind === 'gateway');
  if (gateways.length !== 1) problems.push(`${gateways.length} blocks marked <!-- readme: gateway -->: the quick start's \`npm start\` block must be the one`);
  return problems;
}

/** Relative links and anchors that resolve to nothing: `#anchor` in this file, `path` and `path#anchor` beside it. */
export function brokenLinks(readmePath: string, parsed: ParsedReadme = parseReadme(readFileSync(readmePath, 'utf8'))): string[] {
  const dir = path.dirname(readmePath);
  const broken: string[] = [];
  const anchorsOf = new Map<string, Set<string>>([[path.resolve(readmePath), parsed.anchors]]);
  for (const { href, line } of parsed.links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // http(s), mailto: not checked offline
    const [rawPath = '', rawAnchor] = href.split('#', 2);
    const target = rawPath ? path.resolve(dir, decodeURIComponent(rawPath)) : path.resolve(readmePath);
    if (!existsSync(target)) { broken.push(`line ${line}: ${href}: no such file`); continue; }
    if (rawAnchor === undefined) continue;
    if (!target.endsWith('.md') || statSync(target).isDirectory()) { broken.push(`line ${line}: ${href}: anchor into a file that is not markdown`); continue; }
    let anchors = anchorsOf.get(target);
    if (!anchors) { anchors = parseReadme(readFileSync(target, 'utf8')).anchors; anchorsOf.set(target, anchors); }
    if (!anchors.has(decodeURIComponent(rawAnchor))) broken.push(`line ${line}: ${href}: no heading has this anchor`);
  }
  return broken;
}
