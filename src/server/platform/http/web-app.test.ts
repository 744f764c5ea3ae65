import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWebApp } from './web-app.js';
import { PROJECT_ROOT, sourceFingerprint, webBuildNeeded } from './web-build.js';

describe('serving the web app', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'crm-web-'));
    app = Fastify();
    await installWebApp(app, dir);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers "starting" (503, reloading itself) while the first build is not there yet', async () => {
    const r = await app.inject({ url: '/pipeline' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    expect(r.body).toContain('http-equiv="refresh"');
  });

  it('serves index.html for every page of the app, uncached, with its own CSP', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
    for (const url of [
      '/',
      '/login',
      '/deals',
      '/deals/0190a1b2-0000-7000-8000-000000000001',
      '/settings/keys',
    ]) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.body).toContain('<title>app</title>');
    }
  });

  it('picks up a new build without a restart', async () => {
    const file = path.join(dir, 'index.html');
    writeFileSync(file, '<!doctype html><title>v2</title>');
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect((await app.inject({ url: '/' })).body).toContain('v2');
  });

  it('serves hashed assets as immutable and leaves other paths to the 404 handler', async () => {
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/not-an-app-page' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/assets/../index.html' })).statusCode).toBe(404);
  });
});

describe('building the web app when its sources change', () => {
  it('fingerprints the sources and flags a build whose fingerprint differs', () => {
    const a = sourceFingerprint();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(sourceFingerprint()).toBe(a);
    const dist = mkdtempSync(path.join(os.tmpdir(), 'crm-dist-'));
    try {
      expect(webBuildNeeded(dist)).toBe(true);
      writeFileSync(path.join(dist, 'index.html'), '');
      writeFileSync(path.join(dist, '.source-fingerprint'), a);
      expect(webBuildNeeded(dist)).toBe(false);
      writeFileSync(path.join(dist, '.source-fingerprint'), 'other');
      expect(webBuildNeeded(dist)).toBe(true);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
    expect(PROJECT_ROOT).toBe(process.cwd());
  });
});
