/**
 * The dashboard (`web/`, built into `web/dist` by `npm run build`, which `npm ci` runs) served as
 * static files at `/`. The app keeps every view in the query string of `/`, so there are no
 * client-side paths to fall back for. The index is revalidated on every load (it names the
 * current build's assets); the hashed assets never change and are cached for a year.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** `web/dist` of this checkout: the same relative place from `src/http/routes` and `dist/http/routes`. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The page loads only its own scripts, styles and API: no inline script, no third party. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

interface HeaderSink {
  setHeader(name: string, value: string): void;
}

function setDashboardHeaders(res: HeaderSink, file: string): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  const hashedAsset = file.split(path.sep).includes('assets');
  res.setHeader('cache-control', hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/** Serves the built dashboard from `dir`; without a build, `/` says how to make one. */
export async function dashboardRoutes(app: FastifyInstance, dir: string = DASHBOARD_DIR): Promise<void> {
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async function dashboardMissing(_request, reply) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The dashboard is not built (no ${path.join(dir, 'index.html')}): run "npm run build", then restart Vigil.\n`);
    });
    return;
  }
  // wildcard: false registers one route per built file, so unknown paths keep the API's 404.
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    // Our own cache headers (setDashboardHeaders), not send's default max-age=0.
    cacheControl: false,
    setHeaders: setDashboardHeaders,
  });
}
