import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` builds the web app when its sources changed since the last build: a fingerprint of the
 * sources (paths, sizes, modification times) is kept beside the build. The build runs in a child
 * process, started once the API listens, into a fresh directory that replaces the old one only
 * when complete, so a page never gets half a build.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const WEB_DIST = path.join(PROJECT_ROOT, 'dist/web');
const STAMP = '.source-fingerprint';
const SOURCES = ['src/web', 'src/shared', 'vite.config.ts', 'package-lock.json', 'tsconfig.web.json'];

export function sourceFingerprint(root = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.endsWith('.test.ts')) visit(path.join(p, name));
    } else hash.update(`${path.relative(root, p)}\0${st.size}\0${Math.trunc(st.mtimeMs)}\n`);
  };
  for (const s of SOURCES) visit(path.join(root, s));
  return hash.digest('hex');
}

export function webBuildNeeded(dist = WEB_DIST): boolean {
  const stamp = path.join(dist, STAMP);
  if (!existsSync(path.join(dist, 'index.html')) || !existsSync(stamp)) return true;
  return readFileSync(stamp, 'utf8').trim() !== sourceFingerprint();
}

/** Builds into dist/web-next, then swaps it in. Resolves when done; rejects with vite's output on failure. */
export function buildWebApp(dist = WEB_DIST): Promise<void> {
  const fingerprint = sourceFingerprint();
  const next = `${dist}-next`;
  const vite = path.join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', next, '--logLevel', 'warn'], {
      cwd: PROJECT_ROOT,
      // Always a production build: under Vitest (NODE_ENV=test) Vite would otherwise bundle React's
      // development build, several times slower and larger.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`web build failed (exit ${code}):\n${output.slice(-4000)}`));
      writeFileSync(path.join(next, STAMP), fingerprint);
      const old = `${dist}-old`;
      rmSync(old, { recursive: true, force: true });
      if (existsSync(dist)) renameSync(dist, old);
      renameSync(next, dist);
      rmSync(old, { recursive: true, force: true });
      resolve();
    });
  });
}
