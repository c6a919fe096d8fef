import t, { type Test } from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { basic, restCall } from '../helpers/rest-call.js';
import { account, ELF, mediaHost, png } from './media-fixtures.js';
import { mm7Listener } from '../helpers/mm7-listener.js';

const VASPS = [account('acme'), account('other')];

async function start(t: Test, maxFileBytes = 4096): Promise<string> {
  const config = ConfigSchema.parse({ mm7: { port: 0, vasps: VASPS } }).mm7;
  const { host } = mediaHost({ media: { maxFileBytes }, realClock: true });
  return (await mm7Listener(t, { config, restServices: { media: host, mediaUploads: host } })).url;
}

const ACME = basic('acme', 'pw-acme');
const OTHER = basic('other', 'pw-other');

t.test('an upload: 201 with Location, then its metadata; another account gets 404', async (t) => {
  const base = await start(t);
  const image = png();
  const up = await restCall(base, 'POST', '/v1/media?filename=r.png', {
    auth: ACME,
    body: new Uint8Array(image),
    headers: { 'content-type': 'image/png' },
  });
  t.equal(up.status, 201, up.text);
  t.match(up.body, { mediaId: /^med_[\w-]{22}$/, contentType: 'image/png', size: image.length, expiresAt: String });
  t.ok(Date.parse(up.body.expiresAt) > Date.now(), 'expires later');
  t.equal(up.headers.get('location'), `/v1/media/${up.body.mediaId}`);
  const got = await restCall(base, 'GET', `/v1/media/${up.body.mediaId}`, { auth: ACME });
  t.equal(got.status, 200);
  t.strictSame(got.body, up.body, 'the same object');
  const theirs = await restCall(base, 'GET', `/v1/media/${up.body.mediaId}`, { auth: OTHER });
  t.equal(theirs.status, 404, 'another account: not found');
  t.equal(theirs.body.error.code, 'NOT_FOUND');
  const none = await restCall(base, 'GET', '/v1/media/med_AAAAAAAAAAAAAAAAAAAAAA', { auth: ACME });
  t.equal(none.status, 404);
});

t.test('sniffed: an executable declared image/jpeg, and a type not allowed, are 422 content-type-mismatch', async (t) => {
  const base = await start(t);
  const exe = await restCall(base, 'POST', '/v1/media', {
    auth: ACME,
    body: new Uint8Array(ELF),
    headers: { 'content-type': 'image/jpeg' },
  });
  t.equal(exe.status, 422, exe.text);
  t.match(exe.body.error, { code: 'UNPROCESSABLE', refusal: 'content-type-mismatch', reason: 'type-mismatch' });
  const mz = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);
  const mzUp = await restCall(base, 'POST', '/v1/media', {
    auth: ACME,
    body: new Uint8Array(mz),
    headers: { 'content-type': 'image/jpeg' },
  });
  t.equal(mzUp.status, 422, 'an MZ header too');
  const pdf = await restCall(base, 'POST', '/v1/media', {
    auth: ACME,
    body: new Uint8Array(png()),
    headers: { 'content-type': 'application/pdf' },
  });
  t.match(pdf.body.error, { refusal: 'content-type-mismatch', reason: 'type-not-allowed' });
  const untyped = await fetch(`${base}/v1/media`, { method: 'POST', headers: { authorization: ACME }, body: new Uint8Array(png()) });
  // fetch gives a Uint8Array body no type: the upload must say what it is.
  t.equal(untyped.status, 415);
});

t.test('over api.media.maxFileBytes: 413, whether declared or chunked', async (t) => {
  const base = await start(t, 2048);
  const big = Buffer.concat([png(), Buffer.alloc(4096)]);
  const declared = await restCall(base, 'POST', '/v1/media', {
    auth: ACME,
    body: new Uint8Array(big),
    headers: { 'content-type': 'image/png' },
  });
  t.equal(declared.status, 413);
  t.equal(declared.body.error.refusal, 'message-too-large');
  // A chunked body (a stream, no length) is cut at the first byte over.
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(1024));
      c.close();
    },
  });
  const chunked = await fetch(`${base}/v1/media`, {
    method: 'POST',
    headers: { authorization: ACME, 'content-type': 'image/png' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  t.equal(chunked.status, 413);
});

t.test('no credentials: 401; a method the path does not take: 405', async (t) => {
  const base = await start(t);
  const anon = await fetch(`${base}/v1/media`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png()) });
  t.equal(anon.status, 401);
  const wrongMethod = await restCall(base, 'DELETE', '/v1/media', { auth: ACME });
  t.equal(wrongMethod.status, 405);
});
