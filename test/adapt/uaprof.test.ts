// UaProfiles against a real HTTP server on loopback: documents in each shape drive the limits read; the
// store caches successes and failures; one fetch for concurrent lookups; a never-answering server, a 10 MB
// body and entity tricks never hold a lookup beyond waitMs and end cached as failures.
import type { ServerResponse } from 'node:http';
import t from 'tap';
import type { UaProfRecord } from '../../src/adapt/uaprof.js';
import { billionLaughs, externalEntity, MMS_2001, RDF, UAPROF_OMA, uaprofDoc } from '../protocols/uaprof-docs.js';
import { mediaServer, serve } from '../rest/media-fixtures.js';
import { until } from '../helpers/until.js';
import { fetches, profiles } from './uaprof-fixtures.js';

const xml = (doc: string) => serve(Buffer.from(doc), 'application/rdf+xml');

t.test('each shape, served, drives the limits read', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/bag.xml', xml(uaprofDoc({ size: '307200', resolution: '640x480', accept: ['image/jpeg', 'image/gif'] })));
  srv.route(
    '/seq-nohash.xml',
    xml(uaprofDoc({ list: 'Seq', rdfNs: RDF.slice(0, -1), size: '614400', accept: ['image/png'], versions: ['1.2'] })),
  );
  srv.route(
    '/oma-prf-capital.xml',
    xml(
      uaprofDoc({ mms: 'prf', mmsNs: UAPROF_OMA, prfNs: UAPROF_OMA, size: '1048576 ', resolution: '2048X2048', accept: ['Image/JPEG '] }),
    ),
  );
  srv.route('/attrs.xml', xml(uaprofDoc({ asAttributes: true, size: '1536000', resolution: '1600x1200' })));
  srv.route('/no-mms.xml', xml(uaprofDoc({ noMms: true, screen: '128x160' })));
  const { profiles: p } = profiles();
  const bag = await p.lookup(`${srv.base}/bag.xml`);
  t.equal(bag?.mmsMaxMessageSize, 307200);
  t.strictSame(bag?.mmsMaxImageResolution, { width: 640, height: 480 });
  t.strictSame(bag?.mmsCcppAccept, ['image/jpeg', 'image/gif']);
  const seq = await p.lookup(`${srv.base}/seq-nohash.xml`);
  t.equal(seq?.mmsMaxMessageSize, 614400);
  t.strictSame(seq?.mmsVersion, ['1.2']);
  t.strictSame(seq?.mmsCcppAccept, ['image/png']);
  const oma = await p.lookup(`${srv.base}/oma-prf-capital.xml`);
  t.equal(oma?.mmsMaxMessageSize, 1048576);
  t.strictSame(oma?.mmsMaxImageResolution, { width: 2048, height: 2048 });
  t.strictSame(oma?.mmsCcppAccept, ['image/jpeg']);
  const attrs = await p.lookup(`${srv.base}/attrs.xml`);
  t.equal(attrs?.mmsMaxMessageSize, 1536000);
  t.strictSame(attrs?.mmsMaxImageResolution, { width: 1600, height: 1200 });
  const none = await p.lookup(`${srv.base}/no-mms.xml`);
  t.equal(none?.hasMms, false, 'a profile without MMS is had (text only), not a failure');
  t.strictSame(none?.screenSize, { width: 128, height: 160 });
  t.strictSame(
    srv.seen,
    ['GET /bag.xml', 'GET /seq-nohash.xml', 'GET /oma-prf-capital.xml', 'GET /attrs.xml', 'GET /no-mms.xml'],
    'one GET each, no HEAD',
  );
});

t.test('cached in the store: one fetch, then hits until ttlMs; a chunked answer is read too', async (t) => {
  const srv = await mediaServer(t);
  const doc = uaprofDoc({ size: '300000' });
  srv.route('/chunked.xml', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write(doc.slice(0, 100));
    setTimeout(() => res.end(doc.slice(100)), 20);
  });
  const { profiles: p, metrics, clock, config, store } = profiles();
  const url = `${srv.base}/chunked.xml`;
  t.equal((await p.lookup(url))?.mmsMaxMessageSize, 300000, 'no Content-Length: read to its end within maxBytes');
  t.equal((await p.lookup(url))?.mmsMaxMessageSize, 300000);
  t.equal((await p.lookup(`${url}#frag`))?.mmsMaxMessageSize, 300000, 'a fragment is not another URL');
  t.equal(srv.seen.length, 1, 'fetched once');
  t.strictSame(await fetches(metrics), { ok: 1, cached: 2 });
  const stored = JSON.parse((await store.get('uaprof', url))!.meta) as UaProfRecord;
  t.equal(stored.ok, true, 'the store holds the parsed profile');
  clock.now += config.ttlMs + 1;
  t.equal((await p.lookup(url))?.mmsMaxMessageSize, 300000);
  t.equal(srv.seen.length, 2, 'fetched again after ttlMs');
});

t.test('concurrent lookups of one URL share one fetch', async (t) => {
  const srv = await mediaServer(t);
  const doc = Buffer.from(uaprofDoc({ size: '250000' }));
  srv.route('/slow.xml', (_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-length': String(doc.length) }).end(doc), 100);
  });
  const { profiles: p, metrics } = profiles({ config: { waitMs: 1_000 } });
  const all = await Promise.all(Array.from({ length: 20 }, () => p.lookup(`${srv.base}/slow.xml`)));
  t.ok(
    all.every((x) => x?.mmsMaxMessageSize === 250000),
    'all twenty have it',
  );
  t.equal(srv.seen.length, 1, 'one request reached the server');
  t.strictSame(await fetches(metrics), { ok: 1 });
});

t.test('a server that never answers: the lookup gives up at waitMs, the fetch at timeoutMs, the failure is cached', async (t) => {
  const srv = await mediaServer(t);
  const held: ServerResponse[] = [];
  srv.route('/never.xml', (_req, res) => void held.push(res));
  const { profiles: p, metrics, clock, config } = profiles({ config: { waitMs: 200, timeoutMs: 700, failureTtlMs: 60_000 } });
  const url = `${srv.base}/never.xml`;
  let start = performance.now();
  t.equal(await p.lookup(url), undefined, 'not known');
  const waited = performance.now() - start;
  t.ok(waited >= 190 && waited < 450, `answered after ${waited.toFixed(0)} ms (waitMs 200)`);
  start = performance.now();
  await p.idle();
  const fetching = performance.now() - start + waited;
  t.ok(fetching >= 650 && fetching < 1_500, `the fetch ended at ${fetching.toFixed(0)} ms (timeoutMs 700)`);
  t.strictSame(await fetches(metrics), { timeout: 1 });
  t.ok(await until('the socket closed', () => srv.closed >= 1, 2_000), 'the socket was closed by the client');
  start = performance.now();
  t.equal(await p.lookup(url), undefined, 'the failure is remembered');
  t.ok(performance.now() - start < 50, 'at once, from the store');
  t.equal(srv.seen.length, 1, 'not asked again');
  clock.now += config.failureTtlMs + 1;
  const again = p.lookup(url);
  t.equal(await again, undefined);
  await p.idle();
  t.equal(srv.seen.length, 2, 'asked again after failureTtlMs');
});

t.test('a 10 MB body is not read: too-large, quickly, cached', async (t) => {
  const srv = await mediaServer(t);
  const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
  srv.route('/huge-declared.xml', serve(big, 'text/xml'));
  srv.route('/huge-chunked.xml', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    // Stream until the client goes: it must stop reading at maxBytes.
    const more = () => {
      while (!res.destroyed && res.write(Buffer.alloc(65536, 0x20)));
      if (!res.destroyed) res.once('drain', more);
    };
    res.on('close', () => res.destroy());
    more();
  });
  const { profiles: p, metrics, store } = profiles({ config: { waitMs: 300, maxBytes: 65_536 } });
  for (const path of ['/huge-declared.xml', '/huge-chunked.xml']) {
    const start = performance.now();
    t.equal(await p.lookup(`${srv.base}${path}`), undefined, path);
    t.ok(performance.now() - start < 400, `${path}: within waitMs`);
    await p.idle();
    const rec = JSON.parse((await store.get('uaprof', `${srv.base}${path}`))!.meta) as UaProfRecord;
    t.equal(rec.ok ? 'ok' : rec.result, 'too-large', `${path}: cached as too-large`);
  }
  t.strictSame(await fetches(metrics), { 'too-large': 2 });
});

t.test('entity tricks, garbage and HTTP errors end as cached failures', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/laughs.xml', xml(billionLaughs()));
  srv.route('/xxe.xml', xml(externalEntity()));
  srv.route('/html', serve(Buffer.from('<html><body>Moved</body></html>'), 'text/html'));
  srv.route('/gone', (_req, res) => res.writeHead(410, { 'content-length': '0' }).end());
  srv.route('/loop', (_req, res) => res.writeHead(302, { location: '/loop', 'content-length': '0' }).end());
  const { profiles: p, metrics, store } = profiles();
  const results: Record<string, string> = {};
  for (const path of ['/laughs.xml', '/xxe.xml', '/html', '/gone', '/loop', '/missing']) {
    const start = performance.now();
    t.equal(await p.lookup(`${srv.base}${path}`), undefined, path);
    t.ok(performance.now() - start < 400, `${path}: within waitMs`);
    await p.idle();
    const rec = JSON.parse((await store.get('uaprof', `${srv.base}${path}`))!.meta) as UaProfRecord;
    results[path] = rec.ok ? 'ok' : `${rec.result}: ${rec.reason.split(':')[0]}`;
  }
  t.match(results, {
    '/laughs.xml': /^malformed: uaprof-forbidden-construct/,
    '/xxe.xml': /^malformed: uaprof-forbidden-construct/,
    '/html': /^malformed: uaprof-malformed/,
    '/gone': /^failed/,
    '/loop': /^failed/,
    '/missing': /^failed/,
  });
  t.strictSame(await fetches(metrics), { malformed: 3, failed: 3 });
  const seen = srv.seen.length;
  for (const path of ['/laughs.xml', '/gone']) t.equal(await p.lookup(`${srv.base}${path}`), undefined);
  t.equal(srv.seen.length, seen, 'failures answered from the store');
});

t.test('fetch off, and URLs that are not http(s)', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/p.xml', xml(uaprofDoc({ size: '1000' })));
  const off = profiles({ config: { fetch: false } });
  t.equal(await off.profiles.lookup(`${srv.base}/p.xml`), undefined, 'fetch: false never fetches');
  t.equal(srv.seen.length, 0);
  const { profiles: p, metrics } = profiles();
  for (const bad of ['file:///etc/passwd', 'not a url', `gopher://127.0.0.1:${srv.port}/`, `http://x/${'a'.repeat(2000)}`])
    t.equal(await p.lookup(bad), undefined, bad.slice(0, 30));
  t.strictSame(await fetches(metrics), {}, 'nothing fetched');
});

t.test('a store that fails does not fail the lookup', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/p.xml', xml(`<rdf:RDF xmlns:rdf="${RDF}" xmlns:m="${MMS_2001}"><rdf:Description m:MmsMaxMessageSize="9000"/></rdf:RDF>`));
  const broken = {
    put: async () => Promise.reject(new Error('store down')),
    get: async () => Promise.reject(new Error('store down')),
    touch: async () => false,
    delete: async () => undefined,
  };
  const { profiles: p } = profiles({ store: broken });
  t.equal((await p.lookup(`${srv.base}/p.xml`))?.mmsMaxMessageSize, 9000, 'fetched and answered anyway');
});

t.test('fetches in progress are bounded: a URL over the bound is not fetched now, and later is', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/never-1.xml', () => undefined);
  srv.route('/never-2.xml', () => undefined);
  srv.route('/p.xml', xml(uaprofDoc({ size: '7777' })));
  srv.route('/known.xml', xml(uaprofDoc({ size: '8888' })));
  const { profiles: p, metrics, store } = profiles({ maxConcurrent: 2, config: { waitMs: 100, timeoutMs: 400 } });
  t.equal((await p.lookup(`${srv.base}/known.xml`))?.mmsMaxMessageSize, 8888, 'fetched before the slow ones');
  t.equal(await p.lookup(`${srv.base}/never-1.xml`), undefined);
  t.equal(await p.lookup(`${srv.base}/never-2.xml`), undefined);
  t.equal(await p.lookup(`${srv.base}/p.xml`), undefined, 'two in progress: the third is not looked up');
  t.equal(await store.get('uaprof', `${srv.base}/p.xml`), undefined, 'and nothing is stored for it');
  t.equal((await p.lookup(`${srv.base}/known.xml`))?.mmsMaxMessageSize, 8888, 'a stored profile is still answered meanwhile');
  await p.idle();
  t.strictSame(await fetches(metrics), { ok: 1, cached: 1, timeout: 2 });
  t.equal((await p.lookup(`${srv.base}/p.xml`))?.mmsMaxMessageSize, 7777, 'once they ended, it is fetched');
  t.strictSame(srv.seen, ['GET /known.xml', 'GET /never-1.xml', 'GET /never-2.xml', 'GET /p.xml']);
});
