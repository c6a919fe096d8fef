/**
 * Web view check: a fixture message rendered by src/mm1/web-view.ts, served the way the gateway serves /m/:token
 * (page with WEB_VIEW_CSP, parts at mediaHref), opened in headless Chromium by checkWebView. Prints one `ok` /
 * `FAIL` line per check, then `N passed, M failed`; exits non-zero on failure. The screenshot is kept in a
 * temporary directory whose path is printed.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { WEB_VIEW_CSP, renderViewError, renderWebView } from '../../src/mm1/web-view.js';
import type { ViewModel } from '../../src/mm1/web-view.js';
import { checkWebView } from './browser.js';
import type { WebViewExpectation } from './browser.js';

const TOKEN = 'fixture-token';
const COLOUR: [number, number, number] = [30, 120, 200];
const SENTENCE = 'The quick brown fox jumps over the lazy dog by the harbour.';
const SUBJECT = 'Web view conformance';

/** A solid-colour PNG, made here so the check does not depend on a stored file. */
function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let o = 0; o < png.data.length; o += 4) {
    png.data[o] = r;
    png.data[o + 1] = g;
    png.data[o + 2] = b;
    png.data[o + 3] = 255;
  }
  return PNG.sync.write(png);
}

const SMIL = Buffer.from(
  '<smil><head><layout><root-layout/><region id="Image" top="0" height="60%"/><region id="Text" top="60%" height="40%"/></layout></head>' +
    '<body><par dur="5000ms"><img src="square.png" region="Image"/><text src="text.txt" region="Text"/></par></body></smil>',
);
const media: Array<{ type: string; name: string; body: Buffer; text?: string }> = [
  { type: 'application/smil', name: 'layout.smil', body: SMIL },
  { type: 'image/png', name: 'square.png', body: solidPng(240, 160, COLOUR) },
  { type: 'text/plain', name: 'text.txt', body: Buffer.from(`${SENTENCE}\nA second line.`), text: `${SENTENCE}\nA second line.` },
];

const view: ViewModel = {
  subject: SUBJECT,
  from: '+15551234567',
  sentAt: new Date('2024-05-01T12:34:56Z'),
  parts: media.map((m, index) => ({ index, contentType: m.type, name: m.name, size: m.body.length, text: m.text })),
  mediaHref: (index) => `/m/${TOKEN}/${index}`,
};

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const headers = { 'Content-Security-Policy': WEB_VIEW_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, no-store' };
  if (path === `/m/${TOKEN}`) {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(renderWebView(view));
    return;
  }
  const part = path.startsWith(`/m/${TOKEN}/`) ? media[Number(path.slice(`/m/${TOKEN}/`.length))] : undefined;
  if (part !== undefined) {
    res.writeHead(200, { ...headers, 'Content-Type': part.type, 'Content-Length': part.body.length }).end(part.body);
    return;
  }
  res.writeHead(404, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(renderViewError('not-found'));
});

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const dir = mkdtempSync(join(tmpdir(), 'webview-'));
const screenshot = join(dir, 'webview.png');
const expect: WebViewExpectation = { text: [SUBJECT, SENTENCE], images: 1, imageColour: COLOUR };

try {
  const lines = await checkWebView(`http://127.0.0.1:${port}/m/${TOKEN}`, expect, screenshot);
  for (const l of lines) console.log(`${l.ok ? 'ok' : 'FAIL'} ${l.what}`);
  const passed = lines.filter((l) => l.ok).length;
  console.log(`screenshot: ${screenshot}`);
  console.log(`${passed} passed, ${lines.length - passed} failed`);
  process.exitCode = passed === lines.length ? 0 : 1;
} finally {
  server.close();
}
