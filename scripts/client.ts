import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run client [-- --out <dir>]`: generates the REST client of the CLI and the web app (`src/shared/api-client/`) from the committed
 * OpenAPI document with @hey-api/openapi-ts. The drift test (`src/shared/api-client-drift.test.ts`) runs this
 * into a temporary folder and compares.
 *
 * @hey-api/openapi-ts prints its output with the TypeScript compiler API, which the project's TypeScript 7
 * (the native compiler) does not have. Its imports of `typescript` are therefore pointed at the
 * `typescript5` package (an npm alias of typescript@5.9, a development dependency) by a resolve hook.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? (process.argv[outArg + 1] ?? '') : resolve(root, 'src/shared/api-client'));

if (!existsSync(resolve(root, 'node_modules/typescript5/lib/typescript.js'))) {
  console.error(
    'The client generator needs the TypeScript compiler API (typescript 5.x) as `typescript5`:\n' +
      '  npm install --save-dev typescript5@npm:typescript@5.9.3',
  );
  process.exit(1);
}

const hook = `
const root = ${JSON.stringify(pathToFileURL(`${root}/`).href)};
export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' && context.parentURL && context.parentURL.includes('/node_modules/@hey-api/'))
    return next('typescript5', { ...context, parentURL: root });
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const { createClient } = await import('@hey-api/openapi-ts');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await createClient({
  input: resolve(root, 'docs/openapi.json'),
  output: { path: out, tsConfigPath: resolve(root, 'tsconfig.json') },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  logs: { level: 'silent' },
});
// Generated code is checked by the drift test, not linted or formatted: Biome skips the folder.
writeFileSync(
  resolve(out, 'biome.json'),
  `${JSON.stringify({ root: false, extends: '//', formatter: { enabled: false }, linter: { enabled: false }, assist: { enabled: false } }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
