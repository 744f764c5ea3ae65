import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No untranslated strings: Vietnamese and English hold the same keys in every namespace, Arabic (the
 * right-to-left locale) covers the shell, and every literal key the code passes to `t()` exists.
 */

const LOCALES = path.join(import.meta.dirname, 'locales');
const WEB = path.join(import.meta.dirname, '..');

type Tree = { [k: string]: string | Tree };
const load = (lng: string, ns: string): Tree =>
  JSON.parse(readFileSync(path.join(LOCALES, lng, `${ns}.json`), 'utf8'));
const namespaces = (lng: string) =>
  readdirSync(path.join(LOCALES, lng))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

/** i18next plural forms: `key_one`, `key_other`… answer for `key`. */
const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'locales' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('translations', () => {
  it('vi and en have the same namespaces and the same keys, none empty', () => {
    expect(namespaces('vi')).toEqual(namespaces('en'));
    for (const ns of namespaces('en')) {
      const en = flatten(load('en', ns));
      const vi = flatten(load('vi', ns));
      expect([...vi.keys()].sort(), `namespace ${ns}`).toEqual([...en.keys()].sort());
      for (const [k, v] of [...en, ...vi]) expect(v.trim(), `${ns}:${k}`).not.toBe('');
    }
  });

  it('the right-to-left locale (ar) covers the whole shell', () => {
    const en = flatten(load('en', 'common'));
    const ar = flatten(load('ar', 'common'));
    expect([...ar.keys()].sort()).toEqual([...en.keys()].sort());
  });

  it('every literal key used in the code exists in its namespace', () => {
    const known = new Map(
      namespaces('en').map((ns) => [ns, new Set([...flatten(load('en', ns)).keys()].map(base))]),
    );
    const missing: string[] = [];
    for (const file of sourceFiles(WEB)) {
      const src = readFileSync(file, 'utf8');
      // The file's default namespace: useTranslation('deals') or useTranslation(['deals', …]).
      const ns = /useTranslation\(\s*\[?\s*'([\w-]+)'/.exec(src)?.[1] ?? 'common';
      for (const m of src.matchAll(/\bt\(\s*'([\w.:-]+)'/g)) {
        const raw = m[1] ?? '';
        const [space, key] = raw.includes(':') ? (raw.split(':', 2) as [string, string]) : [ns, raw];
        if (!known.get(space)?.has(key)) missing.push(`${path.relative(WEB, file)}: ${space}:${key}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
