import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WEB_SECTIONS } from '../../../shared/web-routes.js';
import { WEB_DIST } from './web-build.js';

/**
 * Serves the built web app from the API's own origin: hashed assets under /assets/ (cached for a
 * year, immutable), and index.html for the app's pages (never cached, so a deploy is picked up on the
 * next load). The HTML gets its own Content-Security-Policy (the API's denies everything): scripts and
 * connections only from this origin, which includes the WebSocket.
 */

const HTML_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // React and dnd-kit set element styles at run time (style attributes).
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const BUILDING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>CyberOS CRM</title></head><body style="font-family:system-ui;padding:3rem">
<h1>CyberOS CRM is starting</h1><p>The web app is being built; this page reloads by itself.</p></body></html>`;

export async function installWebApp(app: FastifyInstance, dist = WEB_DIST): Promise<void> {
  const assets = path.join(dist, 'assets');
  // The directory may not exist yet (first start builds it in the background).
  mkdirSync(assets, { recursive: true });
  let cached: { mtime: number; html: string } | null = null;

  const sendIndex = (reply: FastifyReply) => {
    const file = path.join(dist, 'index.html');
    reply.header('content-security-policy', HTML_CSP).header('cache-control', 'no-cache');
    if (!existsSync(file))
      return reply.code(503).header('retry-after', '2').type('text/html').send(BUILDING_PAGE);
    const mtime = statSync(file).mtimeMs;
    if (!cached || cached.mtime !== mtime) cached = { mtime, html: readFileSync(file, 'utf8') };
    return reply.type('text/html; charset=utf-8').send(cached.html);
  };

  await app.register(async (web) => {
    web.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' };
    });
    await web.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
      index: false,
      // A missing asset is a plain 404 problem like any unknown path.
      wildcard: true,
    });
    const page = { config: { auth: 'public' as const }, schema: { hide: true } };
    web.get('/', page, (_req, reply) => sendIndex(reply));
    for (const section of WEB_SECTIONS) {
      web.get(`/${section}`, page, (_req, reply) => sendIndex(reply));
      web.get(`/${section}/*`, page, (_req, reply) => sendIndex(reply));
    }
  });
}
