// Media by URL (MediaHost.resolve) against a real HTTP media server on loopback: the happy path, each failure
// the issue names (404, wrong declared type, too big per file and per message, no Content-Length, a slow
// server, a redirect loop), the cache by URL (fresh reuse, ETag revalidation with a 304 and no second body,
// no-store) and uploads by id. The guard here allows loopback (the server is there); media-ssrf.test.ts
// has the guard that does not.
import t from 'tap';
import { MediaUnavailableError } from '../../src/rest/media/types.js';
import { account, ELF, GIF, JPEG, mediaHost, mediaServer, outcomes, png, serve } from './media-fixtures.js';

const ACME = account('acme');
const OTHER = account('other');
const BIG_BUDGET = 10 * 1024 * 1024;

/** The failure's reason, or 'resolved' when it did not fail. */
async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    if (err instanceof MediaUnavailableError) return err.reason;
    throw err;
  }
}

t.test('happy path: PNG, JPEG and GIF bytes fetched, typed and named', async (t) => {
  const srv = await mediaServer(t);
  const image = png();
  srv.route('/a/receipt.png', serve(image, 'image/png'));
  srv.route('/b.jpg', serve(JPEG, 'image/jpeg; charset=binary'));
  srv.route('/c', serve(GIF, 'image/gif'));
  const { host, metrics } = mediaHost();
  const got = await host.resolve(
    ACME,
    [
      { source: `${srv.base}/a/receipt.png` },
      { source: `${srv.base}/b.jpg`, filename: 'r.jpg' },
      { source: `${srv.base}/c`, contentType: 'image/gif' },
    ],
    BIG_BUDGET,
  );
  t.equal(got.length, 3);
  t.ok(got[0]!.bytes.equals(image), 'the PNG bytes as served');
  t.equal(got[0]!.contentType, 'image/png');
  t.equal(got[0]!.filename, 'receipt.png', 'named by the last path segment');
  t.equal(got[1]!.contentType, 'image/jpeg');
  t.equal(got[1]!.filename, 'r.jpg', 'the name given wins');
  t.equal(got[2]!.contentType, 'image/gif');
  t.strictSame(srv.seen.slice(0, 2), ['HEAD /a/receipt.png', 'GET /a/receipt.png'], 'a HEAD, then a GET');
  t.match(await outcomes(metrics), { fetched: 3 });
  const bytes = await metrics.mediaFetchBytes.get();
  t.equal(bytes.values[0]!.value, image.length + JPEG.length + GIF.length, 'bytes downloaded counted');
});

t.test('text types file-type cannot sniff: accepted as declared when they are UTF-8 text', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/t.txt', serve(Buffer.from('Thanks for your order ✓'), 'text/plain; charset=utf-8'));
  srv.route('/card.vcf', serve(Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Acme\r\nEND:VCARD\r\n'), 'text/vcard'));
  srv.route('/bin.txt', serve(Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'text/plain'));
  const { host } = mediaHost();
  const [text, card] = await host.resolve(ACME, [{ source: `${srv.base}/t.txt` }, { source: `${srv.base}/card.vcf` }], BIG_BUDGET);
  t.equal(text!.contentType, 'text/plain');
  t.equal(card!.contentType, 'text/vcard');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/bin.txt` }], BIG_BUDGET)), 'type-mismatch', 'not UTF-8: refused');
});

t.test('404 and 410 are not-found; another error status is http-error', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/gone', (_req, res) => res.writeHead(410, { 'content-length': '0' }).end());
  srv.route('/boom', (_req, res) => res.writeHead(500, { 'content-length': '0' }).end());
  const { host, metrics } = mediaHost();
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/nothing.png` }], BIG_BUDGET)), 'not-found');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/gone` }], BIG_BUDGET)), 'not-found');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/boom` }], BIG_BUDGET)), 'http-error');
  t.match(await outcomes(metrics), { 'not-found': 2, 'http-error': 1 });
  const err = await host.resolve(ACME, [{ source: `${srv.base}/nothing.png` }], BIG_BUDGET).catch((e: unknown) => e);
  t.match(err, { url: `${srv.base}/nothing.png`, reason: 'not-found' }, 'the error names the URL');
});

t.test('a wrong declared type: PNG bytes served as image/jpeg, or declared so by the sender', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/liar.jpg', serve(png(), 'image/jpeg'));
  srv.route('/true.png', serve(png(), 'image/png'));
  srv.route('/exe.jpg', serve(ELF, 'image/jpeg'));
  srv.route('/exe', serve(ELF, 'application/octet-stream'));
  const { host } = mediaHost();
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/liar.jpg` }], BIG_BUDGET)), 'type-mismatch', "the server's type");
  t.equal(
    await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/true.png`, contentType: 'image/jpeg' }], BIG_BUDGET)),
    'type-mismatch',
    "the sender's type",
  );
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/exe.jpg` }], BIG_BUDGET)), 'type-mismatch', 'an ELF named .jpg');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/exe` }], BIG_BUDGET)), 'type-not-allowed', 'an ELF undeclared');
  t.equal(
    await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/true.png`, contentType: 'application/pdf' }], BIG_BUDGET)),
    'type-not-allowed',
    'a type not in api.media.allowedTypes',
  );
});

t.test('too big: over the file limit (declared by HEAD or GET), over what is left of the message', async (t) => {
  const srv = await mediaServer(t);
  const big = Buffer.concat([png(), Buffer.alloc(4096)]);
  srv.route('/big.png', serve(big, 'image/png'));
  // HEAD says small, GET says big: the GET's own length is checked before its body is read.
  srv.route('/sly.png', (req, res) => {
    if (req.method === 'HEAD') return res.writeHead(200, { 'content-type': 'image/png', 'content-length': '10' }).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(big.length) }).end(big);
  });
  const small = png();
  srv.route('/small.png', serve(small, 'image/png'));
  const { host } = mediaHost({ media: { maxFileBytes: 2048 } });
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/big.png` }], BIG_BUDGET)), 'too-large', 'per file');
  t.notOk(srv.seen.includes('GET /big.png'), 'refused on the HEAD: no GET');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/sly.png` }], BIG_BUDGET)), 'too-large', 'per file, on the GET');
  // Two that fit one by one, not together.
  const budget = small.length + 10;
  t.equal((await host.resolve(ACME, [{ source: `${srv.base}/small.png` }], budget)).length, 1, 'one fits');
  t.equal(
    await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/small.png` }, { source: `${srv.base}/small.png?2` }], budget)),
    'too-large',
    'per message',
  );
});

t.test('no Content-Length (chunked): refused before the body is read', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/chunked.png', (req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }); // no length: chunked
    if (req.method === 'HEAD') return res.end();
    res.write(png());
    // ... and never ends: a client that waited for the end would hang.
  });
  const { host, metrics } = mediaHost();
  const started = Date.now();
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/chunked.png` }], BIG_BUDGET)), 'no-content-length');
  t.ok(Date.now() - started < 1_500, 'at once, not at the deadline');
  t.match(await outcomes(metrics), { 'no-content-length': 1 });
});

t.test('a slow server: headers never sent, or a body trickling, ends as timeout with the socket closed', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/silent.png', () => undefined); // never answers
  const image = png();
  srv.route('/trickle.png', (req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length) });
    if (req.method === 'HEAD') return res.end();
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= image.length) return clearInterval(timer);
      res.write(image.subarray(i, i + 1));
      i++;
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  const { host, metrics } = mediaHost({ media: { timeoutMs: 500 } });
  for (const path of ['/silent.png', '/trickle.png']) {
    const before = srv.closed;
    const started = Date.now();
    t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}${path}` }], BIG_BUDGET)), 'timeout', path);
    const took = Date.now() - started;
    t.ok(took >= 450 && took < 1_500, `${path}: at the deadline (${took} ms)`);
    await new Promise((r) => setTimeout(r, 100));
    t.ok(srv.closed > before, `${path}: the socket was destroyed`);
  }
  t.match(await outcomes(metrics), { timeout: 2 });
});

t.test('redirects: followed up to api.media.maxRedirects; a loop ends as too-many-redirects', async (t) => {
  const srv = await mediaServer(t);
  const image = png();
  srv.route('/hop1', (_req, res) => res.writeHead(302, { location: '/hop2', 'content-length': '0' }).end());
  srv.route('/hop2', (_req, res) => res.writeHead(301, { location: `${srv.base}/final.png`, 'content-length': '0' }).end());
  srv.route('/final.png', serve(image, 'image/png'));
  srv.route('/loop-a', (_req, res) => res.writeHead(307, { location: '/loop-b', 'content-length': '0' }).end());
  srv.route('/loop-b', (_req, res) => res.writeHead(308, { location: '/loop-a', 'content-length': '0' }).end());
  const { host } = mediaHost({ media: { maxRedirects: 2 } });
  const [got] = await host.resolve(ACME, [{ source: `${srv.base}/hop1` }], BIG_BUDGET);
  t.ok(got!.bytes.equals(image), 'two redirects followed');
  const before = srv.seen.length;
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/loop-a` }], BIG_BUDGET)), 'too-many-redirects');
  t.equal(srv.seen.length - before, 3, 'the first request and two redirects, then no more');
  const { host: strict } = mediaHost({ media: { maxRedirects: 0 } });
  t.equal(await reasonOf(strict.resolve(ACME, [{ source: `${srv.base}/hop1` }], BIG_BUDGET)), 'too-many-redirects', 'none allowed');
});

t.test('cache: a fresh copy is reused without a request; a stale one revalidated by ETag (304: no second body)', async (t) => {
  const srv = await mediaServer(t);
  const image = png();
  let bodies = 0;
  const revalidating = (maxAge: number) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const headers = { etag: '"v1"', 'cache-control': `max-age=${maxAge}` };
    if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304, headers).end();
    res.writeHead(200, { ...headers, 'content-type': 'image/png', 'content-length': String(image.length) });
    if (req.method === 'GET') bodies++;
    res.end(req.method === 'HEAD' ? undefined : image);
  };
  srv.route('/fresh.png', revalidating(60));
  srv.route('/etag.png', revalidating(0));
  const { host, metrics, clock } = mediaHost();

  await host.resolve(ACME, [{ source: `${srv.base}/fresh.png` }], BIG_BUDGET);
  const seen = srv.seen.length;
  const [again] = await host.resolve(ACME, [{ source: `${srv.base}/fresh.png` }], BIG_BUDGET);
  t.ok(again!.bytes.equals(image));
  t.equal(srv.seen.length, seen, 'fresh (max-age=60): no request at all');
  clock.now += 61_000;
  await host.resolve(ACME, [{ source: `${srv.base}/fresh.png` }], BIG_BUDGET);
  t.equal(srv.seen.at(-1), 'HEAD /fresh.png', 'stale after max-age: revalidated');
  t.equal(bodies, 1, 'with no second body');

  bodies = 0;
  await host.resolve(ACME, [{ source: `${srv.base}/etag.png` }], BIG_BUDGET);
  const [reused] = await host.resolve(ACME, [{ source: `${srv.base}/etag.png` }], BIG_BUDGET);
  await host.resolve(ACME, [{ source: `${srv.base}/etag.png` }], BIG_BUDGET);
  t.ok(reused!.bytes.equals(image), 'the copy reused');
  t.equal(bodies, 1, 'max-age=0: revalidated each time, the body downloaded once');
  t.match(await outcomes(metrics), { fetched: 2, cached: 1, revalidated: 3 });

  // Per account: another account's first use fetches for itself.
  const before = bodies;
  await host.resolve(OTHER, [{ source: `${srv.base}/etag.png` }], BIG_BUDGET);
  t.equal(bodies, before + 1, 'another account does not get this account copy');
});

t.test('cache: Last-Modified revalidation; no-store never kept; a changed body replaces the copy', async (t) => {
  const srv = await mediaServer(t);
  const v1 = png();
  const lm = 'Tue, 15 Jan 2030 10:00:00 GMT';
  let bodies = 0;
  srv.route('/lm.png', (req, res) => {
    if (req.headers['if-modified-since'] === lm) return res.writeHead(304).end();
    if (req.method === 'GET') bodies++;
    res.writeHead(200, { 'last-modified': lm, 'content-type': 'image/png', 'content-length': String(v1.length) });
    res.end(req.method === 'HEAD' ? undefined : v1);
  });
  srv.route('/nostore.png', serve(v1, 'image/png', { 'cache-control': 'no-store', etag: '"x"' }));
  let version = 1;
  srv.route('/changes', (req, res) => {
    const body = version === 1 ? v1 : GIF;
    const tag = `"${version}"`;
    if (req.headers['if-none-match'] === tag) return res.writeHead(304).end();
    res.writeHead(200, { etag: tag, 'content-type': version === 1 ? 'image/png' : 'image/gif', 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const { host, metrics } = mediaHost();
  await host.resolve(ACME, [{ source: `${srv.base}/lm.png` }], BIG_BUDGET);
  await host.resolve(ACME, [{ source: `${srv.base}/lm.png` }], BIG_BUDGET);
  t.equal(bodies, 1, 'If-Modified-Since answered 304');

  await host.resolve(ACME, [{ source: `${srv.base}/nostore.png` }], BIG_BUDGET);
  await host.resolve(ACME, [{ source: `${srv.base}/nostore.png` }], BIG_BUDGET);
  t.equal(srv.seen.filter((s) => s === 'GET /nostore.png').length, 2, 'no-store: fetched whole each time, never conditional');

  await host.resolve(ACME, [{ source: `${srv.base}/changes` }], BIG_BUDGET);
  version = 2;
  const [changed] = await host.resolve(ACME, [{ source: `${srv.base}/changes` }], BIG_BUDGET);
  t.equal(changed!.contentType, 'image/gif', 'the new body and its type');
  t.match(await outcomes(metrics), { revalidated: 1 });
});

t.test('uploads by id: resolved for their account only; an unknown id is unknown-media-id', async (t) => {
  const { host, clock } = mediaHost({ media: { uploadTtlMs: 60_000 } });
  const image = png();
  const info = await host.upload(ACME, { bytes: image, contentType: 'image/png', filename: 'r.png' });
  t.match(info, { mediaId: /^med_[\w-]{22}$/, contentType: 'image/png', size: image.length });
  t.equal(info.expiresAt, new Date(clock.now + 60_000).toISOString());
  const [got] = await host.resolve(ACME, [{ source: info.mediaId }], BIG_BUDGET);
  t.ok(got!.bytes.equals(image));
  t.equal(got!.filename, 'r.png');
  t.strictSame(await host.info(ACME, info.mediaId), info);
  t.equal(await host.info(OTHER, info.mediaId), undefined, 'another account does not see it');
  t.equal(await reasonOf(host.resolve(OTHER, [{ source: info.mediaId }], BIG_BUDGET)), 'unknown-media-id', 'nor use it');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: 'med_nope' }], BIG_BUDGET)), 'unknown-media-id');
  t.equal(await reasonOf(host.resolve(ACME, [{ source: info.mediaId }], image.length - 1)), 'too-large', 'counted in the budget');
  t.equal(
    await reasonOf(host.upload(ACME, { bytes: ELF, contentType: 'image/jpeg' })),
    'type-mismatch',
    'an executable declared image/jpeg is not stored',
  );
  clock.now += 60_001;
  t.equal(await host.info(ACME, info.mediaId), undefined, 'gone after api.media.uploadTtlMs');
});

t.test('a burst naming one URL shares one fetch', async (t) => {
  const srv = await mediaServer(t);
  const image = png();
  srv.route('/burst.png', serve(image, 'image/png', { etag: '"b"', 'cache-control': 'no-cache' }));
  const { host } = mediaHost();
  const all = await Promise.all(Array.from({ length: 8 }, () => host.resolve(ACME, [{ source: `${srv.base}/burst.png` }], BIG_BUDGET)));
  t.ok(
    all.every(([m]) => m!.bytes.equals(image)),
    'each message has the bytes',
  );
  t.strictSame(srv.seen, ['HEAD /burst.png', 'GET /burst.png'], 'one HEAD and one GET for all eight');
});

t.test('the cache on Redis: kept, revalidated by ETag with a 304, shared by two gateways of one deployment', async (t) => {
  const { Redis } = await import('ioredis');
  const { RedisMediaStore } = await import('../../src/store/redis/index.js');
  const { dropKeys, redisUrl, testPrefix } = await import('../helpers/redis.js');
  const url = await redisUrl(t);
  const redis = new Redis(url);
  const prefix = testPrefix();
  t.teardown(async () => {
    await dropKeys(url, prefix);
    await redis.quit().catch(() => {});
  });
  const srv = await mediaServer(t);
  const image = png();
  let bodies = 0;
  srv.route('/r.png', (req, res) => {
    if (req.headers['if-none-match'] === '"r1"') return res.writeHead(304, { etag: '"r1"' }).end();
    if (req.method === 'GET') bodies++;
    res.writeHead(200, { etag: '"r1"', 'content-type': 'image/png', 'content-length': String(image.length) });
    res.end(req.method === 'HEAD' ? undefined : image);
  });
  const one = mediaHost({ store: new RedisMediaStore(redis, prefix), realClock: true });
  const two = mediaHost({ store: new RedisMediaStore(redis, prefix), realClock: true });
  await one.host.resolve(ACME, [{ source: `${srv.base}/r.png` }], BIG_BUDGET);
  const [got] = await two.host.resolve(ACME, [{ source: `${srv.base}/r.png` }], BIG_BUDGET);
  t.ok(got!.bytes.equals(image), 'the second gateway has the bytes');
  t.equal(bodies, 1, "revalidated from the first one's copy: no second body");
  t.match(await outcomes(two.metrics), { revalidated: 1 });
});

t.test('https: the name pinned to its checked address, and the certificate checked for the name', async (t) => {
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:https');
  const { selfSigned } = await import('../helpers/certs.js');
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-media-tls-'));
  const { cert, key } = selfSigned(dir, 'media', 'media.test');
  const image = png();
  const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length) });
    res.end(req.method === 'HEAD' ? undefined : image);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  const resolve = async (name: string) => {
    if (name === 'media.test' || name === 'other.test') return [{ address: '127.0.0.1', family: 4 as const }];
    throw Object.assign(new Error('no'), { code: 'ENOTFOUND' });
  };
  const { host } = mediaHost({ resolve, ca: readFileSync(cert, 'utf8') });
  const [got] = await host.resolve(ACME, [{ source: `https://media.test:${port}/p.png` }], BIG_BUDGET);
  t.ok(got!.bytes.equals(image), 'fetched over TLS from the pinned address');
  t.equal(
    await reasonOf(host.resolve(ACME, [{ source: `https://other.test:${port}/p.png` }], BIG_BUDGET)),
    'unreachable',
    'a certificate for another name is refused',
  );
  const { host: untrusting } = mediaHost({ resolve });
  t.equal(
    await reasonOf(untrusting.resolve(ACME, [{ source: `https://media.test:${port}/p.png` }], BIG_BUDGET)),
    'unreachable',
    'an untrusted certificate is refused',
  );
});

t.test('a server that lies about its length, or does not take HEAD', async (t) => {
  const srv = await mediaServer(t);
  const image = png();
  srv.route('/short.png', (req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length + 500) });
    if (req.method === 'HEAD') return res.end();
    res.write(image);
    setTimeout(() => res.destroy(), 50); // closes 500 bytes short
  });
  srv.route('/nohead.png', (req, res) => {
    if (req.method === 'HEAD') return res.writeHead(405, { allow: 'GET', 'content-length': '0' }).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length) }).end(image);
  });
  const { host } = mediaHost();
  t.equal(await reasonOf(host.resolve(ACME, [{ source: `${srv.base}/short.png` }], BIG_BUDGET)), 'http-error', 'a short body');
  const [got] = await host.resolve(ACME, [{ source: `${srv.base}/nohead.png` }], BIG_BUDGET);
  t.ok(got!.bytes.equals(image), 'HEAD 405: the GET alone');
});
