// The media type check (sniffed bytes against the declared type) and the caching policy of a media server's
// answer, as functions: the cases the end-to-end tests do not reach one by one.
import t from 'tap';
import { MediaApiSchema } from '../../src/ops/config-api.js';
import { cachePolicy } from '../../src/rest/media/cache-policy.js';
import { checkMediaType, declaredType } from '../../src/core/media-type.js';
import { ELF, GIF, JPEG, png } from './media-fixtures.js';

const ALLOWED = MediaApiSchema.parse({}).allowedTypes;

async function verdict(bytes: Uint8Array, declared: string | undefined, allowed = ALLOWED): Promise<string> {
  try {
    return await checkMediaType(bytes, declared, allowed);
  } catch (err) {
    return `! ${(err as { reason: string }).reason}`;
  }
}

/** A 9x2 WBMP: type 0, fix header 0, width 9, height 2, then 2 bytes a row. */
const WBMP = Buffer.from([0, 0, 9, 2, 0xff, 0x80, 0x00, 0x00]);

t.test('declared types: aliases and parameters', async (t) => {
  t.equal(declaredType('IMAGE/JPG; name=x'), 'image/jpeg');
  t.equal(declaredType('application/octet-stream'), undefined, 'octet-stream declares nothing');
  t.equal(declaredType(''), undefined);
  t.equal(declaredType('not a type'), undefined);
});

t.test('binary types must be what the bytes are', async (t) => {
  t.equal(await verdict(png(), 'image/png'), 'image/png');
  t.equal(await verdict(JPEG, 'image/jpg'), 'image/jpeg', 'an alias, answered by its name');
  t.equal(await verdict(GIF, undefined), 'image/gif', 'undeclared: the sniffed type');
  t.equal(await verdict(GIF, 'image/png'), '! type-mismatch');
  t.equal(await verdict(ELF, 'image/jpeg'), '! type-mismatch');
  t.equal(await verdict(ELF, undefined), '! type-not-allowed', 'an executable undeclared is not an allowed type');
  t.equal(await verdict(Buffer.from('hello'), 'image/png'), '! type-mismatch', 'nothing recognisable');
  t.equal(await verdict(Buffer.from('hello'), undefined), '! type-mismatch', 'nothing declared, nothing sniffed');
  t.equal(await verdict(png(), 'image/png', ['image/jpeg']), '! type-not-allowed', 'the allowed list decides');
  t.equal(await verdict(Buffer.alloc(0), 'image/png'), '! type-mismatch', 'empty');
});

t.test('types without a magic number: text as UTF-8, WBMP by its structure', async (t) => {
  t.equal(await verdict(Buffer.from('Grüße'), 'text/plain; charset=utf-8'), 'text/plain');
  t.equal(await verdict(Buffer.from([0xc3, 0x28]), 'text/plain'), '! type-mismatch', 'invalid UTF-8');
  t.equal(await verdict(Buffer.from('a\u0000b'), 'text/plain'), '! type-mismatch', 'a NUL');
  t.equal(await verdict(png(), 'text/plain'), '! type-mismatch', 'a PNG declared as text');
  t.equal(await verdict(Buffer.from('BEGIN:VCARD\r\nVERSION:2.1\r\nEND:VCARD\r\n'), 'text/x-vcard'), 'text/x-vcard');
  t.equal(await verdict(Buffer.from('BEGIN:VCALENDAR\r\nVERSION:1.0\r\nEND:VCALENDAR\r\n'), 'text/x-vcalendar'), 'text/x-vcalendar');
  t.equal(await verdict(Buffer.from('<?xml version="1.0"?><smil><body/></smil>'), 'application/smil'), 'application/smil');
  t.equal(await verdict(Buffer.from('<smil><body/></smil>'), 'application/smil'), 'application/smil');
  t.equal(await verdict(WBMP, 'image/vnd.wap.wbmp'), 'image/vnd.wap.wbmp');
  t.equal(await verdict(WBMP.subarray(0, 7), 'image/vnd.wap.wbmp'), '! type-mismatch', 'a pixel byte short');
  t.equal(await verdict(Buffer.from([1, 0, 9, 2, 0, 0, 0, 0]), 'image/vnd.wap.wbmp'), '! type-mismatch', 'not type 0');
  t.equal(await verdict(ELF, 'image/vnd.wap.wbmp'), '! type-mismatch');
});

t.test('caching policy (RFC 9111)', async (t) => {
  const now = Date.UTC(2030, 0, 15, 12);
  t.match(cachePolicy({ 'cache-control': 'public, max-age=60', etag: '"a"' }, now), { store: true, freshForMs: 60_000, etag: '"a"' });
  t.match(cachePolicy({ 'cache-control': 'max-age=60, s-maxage=10' }, now), { freshForMs: 10_000 }, 's-maxage first');
  t.match(cachePolicy({ 'cache-control': 'max-age=60', age: '50' }, now), { freshForMs: 10_000 }, 'less Age');
  t.match(cachePolicy({ 'cache-control': 'no-cache, max-age=60', etag: '"a"' }, now), { store: true, freshForMs: 0 });
  t.match(cachePolicy({ 'cache-control': 'no-store', etag: '"a"' }, now), { store: false });
  t.match(cachePolicy({ 'cache-control': 'NO-STORE' }, now), { store: false }, 'directives in any case');
  const date = new Date(now).toUTCString();
  const later = new Date(now + 30_000).toUTCString();
  t.match(cachePolicy({ expires: later, date }, now), { store: true, freshForMs: 30_000 }, 'Expires minus Date');
  t.match(cachePolicy({ expires: '0', 'last-modified': date }, now), { store: true, freshForMs: 0 }, 'an invalid Expires is expired');
  t.match(cachePolicy({}, now), { store: false, freshForMs: 0 }, 'no freshness, no validator: nothing to reuse');
  t.match(cachePolicy({ 'last-modified': date }, now), { store: true, freshForMs: 0, lastModified: date }, 'no heuristic freshness');
  t.match(cachePolicy({ 'cache-control': 'max-age=abc', etag: '"a"' }, now), { freshForMs: 0 }, 'a bad max-age gives nothing');
});
