/**
 * Web view check against the real gateway: a VASP submits an MMS (text + a solid-colour PNG) over MM7 to a
 * subscriber marked text-only; the gateway sends the SMS fallback through an SMSC (the test suite's
 * simulator, test/helpers/smsc.ts: a stand-in for a real SMSC); the link in that SMS is opened in headless
 * Chromium by checkWebView, which asserts on the DOM and the screenshot. Prints one `ok` / `FAIL` line per
 * check, then `N passed, M failed`; exits non-zero on failure. The screenshot is kept in a temporary
 * directory whose path is printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { pino } from 'pino';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { freePort } from '../../test/helpers/free-port.js';
import { mm7SubmitReq } from '../../test/helpers/mm7-request.js';
import { startSmsc } from '../../test/helpers/smsc.js';
import { checkWebView, type CheckLine, type WebViewExpectation } from './browser.js';

const COLOUR: [number, number, number] = [30, 120, 200];
const SENTENCE = 'The quick brown fox jumps over the lazy dog by the harbour.';
const SUBJECT = 'Web view conformance';
const SUBSCRIBER = '+15550000003';

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

const lines: CheckLine[] = [];
const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
const mm1Port = await freePort();
const config = ConfigSchema.parse({
  ops: { port: 0 },
  log: { level: 'silent' },
  mm7: { port: 0, vasps: [{ id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] }] },
  mm1: { port: mm1Port, publicUrl: `http://127.0.0.1:${mm1Port}`, tokenSecret: 'webview-conformance-secret' },
  smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '7050' }] },
});
const gw = new Gateway(config, pino({ level: 'silent' }));
const dir = mkdtempSync(join(tmpdir(), 'webview-'));
const screenshot = join(dir, 'webview.png');
try {
  const listeners = await gw.start();
  await gw.whenReady();
  await gw.store.subscribers.setTextOnly(SUBSCRIBER, true);
  const mm7 = listeners.find((l) => l.iface === 'mm7')!.address;
  const req = mm7SubmitReq({
    vasp: 'shop',
    shortCode: '7050',
    to: [SUBSCRIBER],
    subject: SUBJECT,
    parts: [
      { type: 'application/smil', name: 'layout.smil', body: SMIL },
      { type: 'image/png', name: 'square.png', body: solidPng(240, 160, COLOUR) },
      { type: 'text/plain; charset=utf-8', name: 'text.txt', body: Buffer.from(`${SENTENCE}\nA second line.`) },
    ],
  });
  const answer = await fetch(mm7, {
    method: 'POST',
    body: new Uint8Array(req.body),
    headers: { 'content-type': req.contentType, authorization: `Basic ${Buffer.from('shop:pw-shop').toString('base64')}` },
  });
  const soap = await answer.text();
  lines.push({ ok: /<(\w+:)?StatusCode>1000</.test(soap), what: 'MM7 SubmitReq accepted (StatusCode 1000)' });
  const deadline = Date.now() + 15_000;
  let sms: string | undefined;
  while (!sms && Date.now() < deadline) {
    sms = smsc.submits.find((s) => s.destinationAddr === SUBSCRIBER.slice(1))?.text;
    if (!sms) await new Promise((r) => setTimeout(r, 50));
  }
  const link = sms?.split(' ').pop();
  lines.push({
    ok: link?.startsWith(`http://127.0.0.1:${mm1Port}/m/`) === true,
    what: `the SMS fallback carries the web-view link (${sms ?? 'no SMS'})`,
  });
  if (link) {
    const expect: WebViewExpectation = { text: [SUBJECT, SENTENCE], images: 1, imageColour: COLOUR };
    lines.push(...(await checkWebView(link, expect, screenshot)));
  }
} catch (err) {
  lines.push({ ok: false, what: `web view check could not run: ${(err as Error).message}` });
} finally {
  await gw.stop();
  await smsc.stop();
}
for (const l of lines) console.log(`${l.ok ? 'ok' : 'FAIL'} ${l.what}`);
const passed = lines.filter((l) => l.ok).length;
console.log(`screenshot: ${screenshot}`);
console.log(`${passed} passed, ${lines.length - passed} failed`);
process.exitCode = passed === lines.length ? 0 : 1;
