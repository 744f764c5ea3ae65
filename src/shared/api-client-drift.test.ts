import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The committed REST client (`src/shared/api-client/`) is what `npm run client` generates from the committed
 * OpenAPI document: regenerated into a temporary folder and compared file by file. After `npm run
 * openapi` changes the document, run `npm run client` and commit both.
 */

const run = promisify(execFile);
const committed = join(process.cwd(), 'src/shared/api-client');
const fresh = mkdtempSync(join(tmpdir(), 'cyberos-client-'));

afterAll(() => rmSync(fresh, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

describe('generated REST client', () => {
  it('matches what npm run client generates from docs/openapi.json', async () => {
    await run(process.execPath, ['--import', 'tsx', 'scripts/client.ts', '--out', fresh]);
    const names = files(fresh);
    expect(names).toContain('sdk.gen.ts');
    expect(files(committed), 'files added or removed: run `npm run client`').toEqual(names);
    for (const name of names) {
      expect(
        readFileSync(join(committed, name), 'utf8'),
        `src/shared/api-client/${name} is stale: run \`npm run client\``,
      ).toBe(readFileSync(join(fresh, name), 'utf8'));
    }
  }, 120_000);
});
