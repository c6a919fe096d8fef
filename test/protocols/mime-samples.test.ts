// protocols/mime against real MM7 requests (conformance/vectors/mm7). Every expected value was read off the files
// by hand (boundaries, Content-IDs, first bytes); decoded sizes and MD5s of base64 bodies were computed with
// `sed -n A,Bp file | base64 -d | wc -c / md5sum` and of the binary part of deliver-req5 with `tail -c | head -c`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { VECTORS } from '../helpers/paths.js';
import { prng } from '../helpers/prng.js';
import { findPart, parseMultipart, startPart } from '../../protocols/mime/index.js';
import type { MimeEntity } from '../../protocols/mime/index.js';

const dir = path.join(VECTORS, 'mm7');
const read = (name: string): Buffer => readFileSync(path.join(dir, name));

/** Splits an HTTP request at the first empty line (CRLF or bare LF) and unfolds its header lines. */
function splitHttp(raw: Buffer): { headers: Map<string, string>; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const [headEnd, bodyStart] = lf >= 0 && (crlf < 0 || lf < crlf) ? [lf, lf + 2] : [crlf, crlf + 4];
  const lines = raw.subarray(0, headEnd).toString('latin1').split(/\r?\n/).slice(1);
  const headers = new Map<string, string>();
  let last = '';
  for (const line of lines) {
    if (/^[ \t]/.test(line)) headers.set(last, `${headers.get(last) ?? ''}${line}`);
    else {
      last = line.slice(0, line.indexOf(':')).toLowerCase();
      headers.set(last, line.slice(line.indexOf(':') + 1).trim());
    }
  }
  return { headers, body: raw.subarray(bodyStart) };
}

async function* chunks(buf: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; ) {
    const n = Math.max(1, sizes());
    yield buf.subarray(i, i + n);
    i += n;
  }
}
const whole = (buf: Buffer) => chunks(buf, () => buf.length);
const md5 = (b: Buffer | undefined): string =>
  createHash('md5')
    .update(b ?? Buffer.alloc(0))
    .digest('hex');
const text = (e: MimeEntity | undefined): string => e?.body?.toString('utf8') ?? '<no body>';

interface Sample {
  file: string;
  body: Buffer;
  contentType: string;
}

function samples(): Sample[] {
  const mmsgw = splitHttp(read('mmsgw-generated/mm7-SubmitReq-from-mmsgw.http'));
  const sinch = splitHttp(read('sinch-mm7-docs/submit-04-Request.txt'));
  const post = splitHttp(read('instantcom-mm7/deliver-req-post.txt'));
  const nextPart = 'multipart/related; boundary="NextPart_000_0125_01C19839.7237929064"; type="text/xml"; start="</cmvt256/mm7-deliver>"';
  return [
    { file: 'mmsgw SubmitReq', body: mmsgw.body, contentType: mmsgw.headers.get('content-type') ?? '' },
    { file: 'sinch submit-04', body: sinch.body, contentType: sinch.headers.get('content-type') ?? '' },
    { file: 'deliver-req-post', body: post.body, contentType: post.headers.get('content-type') ?? '' },
    { file: 'deliver-req1', body: read('instantcom-mm7/deliver-req1.txt'), contentType: nextPart },
    { file: 'deliver-req2', body: read('instantcom-mm7/deliver-req2.txt'), contentType: nextPart },
    {
      file: 'deliver-req3',
      body: read('instantcom-mm7/deliver-req3.txt'),
      contentType: 'multipart/related; boundary=Nokia-mm-messageHandler-BoUnDaRy-=_-735647067; type="text/xml"',
    },
    {
      file: 'deliver-req4',
      body: read('instantcom-mm7/deliver-req4.txt'),
      contentType: 'multipart/related; boundary="==MM7-SOAP==96ac8e10-0e3a-4c9f-9b2f-3730f3801bff"; start="<mm7-soap>"',
    },
    {
      file: 'deliver-req5',
      body: read('instantcom-mm7/deliver-req5.txt'),
      contentType: 'multipart/related; boundary="----=_Part_15_16023213.1346680532641"; type="text/xml"',
    },
  ];
}

t.test('mmsgw SubmitReq: folded HTTP Content-Type, CRLF body, Content-IDs without <>', async (t) => {
  const { headers, body } = splitHttp(read('mmsgw-generated/mm7-SubmitReq-from-mmsgw.http'));
  t.equal(body.length, 1636, 'body is Content-Length bytes (head split right)');
  const root = await parseMultipart(whole(body), headers.get('content-type') ?? '');
  t.equal(root.contentType.type, 'multipart/related');
  t.equal(root.contentType.params['boundary'], '========Top-Part-Boundary');
  t.equal(root.contentType.params['start'], 'ccff620d86b24f639b5b69ac19c1df3b.envelope', 'start from the folded line');
  t.same(root.headers.entries(), []);
  t.equal(root.parts?.length, 2);
  const [soap, content] = root.parts ?? [];
  t.equal(soap?.contentType.type, 'text/xml');
  t.equal(soap?.contentId, 'ccff620d86b24f639b5b69ac19c1df3b.envelope');
  t.equal(soap?.transferEncoding, '7bit');
  t.ok(text(soap).startsWith('<?xml version="1.0"?><soapenv:Envelope'), 'SOAP part starts with <?xml');
  t.ok(text(soap).endsWith('</soapenv:Envelope>'), 'CRLF before the delimiter is not body');
  t.equal(startPart(root), soap, 'start without <> names the SOAP part');
  t.equal(content?.contentType.type, 'multipart/mixed');
  t.equal(content?.contentId, 'ccff620d86b24f639b5b69ac19c1df3b.content');
  t.equal(content?.body, undefined, 'multipart entities have no body');
  t.equal(content?.parts?.length, 1);
  const hello = content?.parts?.[0];
  t.same(hello?.contentType, { type: 'text/plain', params: { charset: 'us-ascii' } });
  t.equal(hello?.contentId, 'hello.txt', 'Content-Id (any case) read');
  t.equal(hello?.headers.get('CONTENT-ID'), 'hello.txt');
  t.equal(text(hello), 'Hello MM7 world');
  t.equal(findPart(root, 'cid:ccff620d86b24f639b5b69ac19c1df3b.content'), content, 'href to the multipart part');
  t.equal(findPart(root, 'cid:hello.txt'), hello, 'nested part found');
});

t.test('sinch submit-04: LF only, nested multipart/related with folded Content-Type', async (t) => {
  const { headers, body } = splitHttp(read('sinch-mm7-docs/submit-04-Request.txt'));
  const root = await parseMultipart(whole(body), headers.get('content-type') ?? '');
  t.same(root.contentType.params, { boundary: 'mainBoundary', type: 'text/xml', start: '<mm7-start>' });
  t.equal(root.parts?.length, 2);
  const [soap, content] = root.parts ?? [];
  t.equal(soap?.contentId, 'mm7-start');
  t.same(soap?.contentType, { type: 'text/xml', params: { charset: 'utf-8' } });
  t.ok(text(soap).startsWith('<?xml version="1.0" encoding="utf-8"?>\n<SOAP-ENV:Envelope'));
  t.ok(text(soap).endsWith('</SOAP-ENV:Envelope>\n'), 'the blank line before the delimiter leaves one LF');
  t.equal(startPart(root), soap, 'start="<mm7-start>"');
  t.equal(content?.contentId, 'generic_content_id');
  t.same(content?.contentType, { type: 'multipart/related', params: { start: '<mms.smil>', boundary: 'subBoundary', type: 'text/xml' } });
  t.equal(content?.parts?.length, 2);
  const [txt, smil] = content?.parts ?? [];
  t.equal(txt?.contentId, '132c4ca56a209475');
  t.equal(text(txt), 'MM7 Test Text');
  t.equal(smil?.contentType.type, 'application/smil');
  t.ok(text(smil).startsWith('<?xml version="1.0" encoding="UTF-8"?><smil>'));
  t.ok(text(smil).endsWith('</smil>'));
  t.equal(startPart(content as MimeEntity), smil, 'nested start="<mms.smil>"');
  t.equal(findPart(root, 'cid:generic_content_id'), content);
});

t.test('instantcom deliver-req-post and deliver-req1: padding after boundaries, no final newline', async (t) => {
  const { headers, body } = splitHttp(read('instantcom-mm7/deliver-req-post.txt'));
  t.equal(body.length, 1238, 'body is Content-Length bytes');
  const post = await parseMultipart(whole(body), headers.get('content-type') ?? '');
  t.equal(post.parts?.length, 2);
  const [soap, text1] = post.parts ?? [];
  t.equal(soap?.contentId, '/cmvt256/mm7-deliver');
  t.same(soap?.contentType, { type: 'text/xml', params: { charset: 'utf-8' } }, '"Content-Type:text/xml" without a space');
  t.ok(text(soap).startsWith('<?xml version="1.0"?>\n<env:Envelope'));
  t.equal(startPart(post), soap);
  t.equal(text1?.contentId, 'forecast-location2000102-86453');
  t.equal(text(text1), 'Los Angeles, Calif, USA ', 'trailing space of the last line is body');
  // The sample's href has a typo (200102 vs 2000102): nothing matches.
  t.equal(findPart(post, 'cid:forecast-location200102-86453'), undefined);
  t.equal(findPart(post, 'cid:forecast-location2000102-86453'), text1);

  const req1 = await parseMultipart(whole(read('instantcom-mm7/deliver-req1.txt')), samples()[3]?.contentType ?? '');
  t.equal(req1.parts?.length, 2);
  t.equal(text(req1.parts?.[1]), 'Los Angeles, Calif, USA ');
  t.equal(findPart(req1, 'cid:forecast-location2000102-86453'), req1.parts?.[1], 'this one matches its href');
});

t.test('instantcom deliver-req2: nested multipart/mixed, quoted boundary with spaces, base64 GIF', async (t) => {
  const root = await parseMultipart(whole(read('instantcom-mm7/deliver-req2.txt')), samples()[4]?.contentType ?? '');
  t.equal(root.parts?.length, 2);
  const story = root.parts?.[1];
  t.equal(story?.contentId, 'SaturnPics-01020930@news.tnn.com');
  t.equal(story?.contentType.params['boundary'], 'StoryParts 74526 8432 2002-77645');
  t.equal(story?.parts?.length, 2);
  const [news, gif] = story?.parts ?? [];
  t.same(news?.contentType, { type: 'text/plain', params: { charset: 'us-ascii' } });
  t.equal(text(news), 'Science news, new Saturn pictures...\n');
  t.same(gif?.contentType, { type: 'image/gif', params: {} }, '"image/gif; " with a trailing ";"');
  t.equal(gif?.contentId, 'saturn.gif');
  t.equal(gif?.transferEncoding, 'base64');
  t.equal(gif?.body?.length, 57, 'one 76-character base64 line is 57 bytes');
  t.equal(gif?.body?.subarray(0, 6).toString('latin1'), 'GIF87a');
  t.equal(gif?.body?.readUInt16LE(6), 100, 'logical screen width 100 (ZAAw)');
  t.equal(findPart(root, 'saturn.gif'), gif, 'bare href matched by Content-ID');
});

t.test('instantcom deliver-req3 (Nokia): leading blank line, unquoted boundary with "=", BASE64 upper case', async (t) => {
  const root = await parseMultipart(whole(read('instantcom-mm7/deliver-req3.txt')), samples()[5]?.contentType ?? '');
  t.equal(root.parts?.length, 2);
  const [soap, content] = root.parts ?? [];
  t.equal(soap?.contentId, 'CQU221G4-EG1S-00389C87');
  t.ok(text(soap).startsWith('<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope'));
  t.equal(startPart(root), soap, 'no start parameter: the first part');
  t.equal(content?.contentId, '57626X20-1VO9-A93941F7', 'Content-Id header');
  t.same(content?.contentType, {
    type: 'multipart/related',
    params: { type: 'application/smil', start: '<AAAA>', boundary: 'Nokia-mm-messageHandler-BoUnDaRy-=_-1069507222' },
  });
  const [smil, gif] = content?.parts ?? [];
  t.equal(content?.parts?.length, 2);
  t.same(smil?.contentType, { type: 'application/smil', params: { name: 'main.smil', charset: 'UTF-8' } });
  t.equal(smil?.transferEncoding, 'base64', 'lower-cased');
  t.equal(smil?.body?.length, 386);
  t.ok(text(smil).startsWith('<smil><head><layout><root-layout backgroundColor="#FFFFFF"'));
  t.ok(text(smil).endsWith('</body>\r\n</smil>\r\n'));
  t.equal(startPart(content as MimeEntity), smil, 'Start="<AAAA>"');
  t.equal(gif?.contentLocation, 'Bomb.gif');
  t.equal(gif?.contentId, undefined);
  t.equal(gif?.body?.length, 4148);
  t.equal(gif?.body?.subarray(0, 6).toString('latin1'), 'GIF89a');
  t.equal(md5(gif?.body), '76fa6f3ce9872b807a2c05b2778f04e3');
  t.equal(findPart(root, 'Bomb.gif'), gif, 'bare href matched by Content-Location');
  t.equal(findPart(root, 'cid:57626X20-1VO9-A93941F7'), content);
});

t.test('instantcom deliver-req4: 400 kB, base64 JPEG', async (t) => {
  const root = await parseMultipart(whole(read('instantcom-mm7/deliver-req4.txt')), samples()[6]?.contentType ?? '');
  const [soap, content] = root.parts ?? [];
  t.equal(root.parts?.length, 2);
  t.equal(soap?.contentId, 'mm7-soap');
  t.ok(text(soap).startsWith('<env:Envelope xmlns:env='));
  t.ok(text(soap).endsWith('</env:Envelope>'), 'delimiter straight after the last line');
  t.equal(startPart(root), soap);
  t.equal(content?.contentId, 'mm7-content');
  t.equal(content?.parts?.length, 2);
  const [jpeg, smil] = content?.parts ?? [];
  t.same(jpeg?.contentType, { type: 'image/jpeg', params: { name: 'flowers_6.jpg' } });
  t.equal(jpeg?.contentId, 'd342c53a-ae78-4b0f-b3f5-4acc8152f93a');
  t.equal(jpeg?.body?.length, 299678);
  t.same([...(jpeg?.body?.subarray(0, 4) ?? [])], [0xff, 0xd8, 0xff, 0xed], 'JPEG SOI');
  t.equal(md5(jpeg?.body), '814069e5e7411a4cb3a7c9d81c3a0b7f');
  t.equal(smil?.contentId, '580210102');
  t.equal(smil?.body?.length, 235);
  t.ok(text(smil).endsWith('</smil>\r\n'));
  t.equal(startPart(content as MimeEntity), smil, 'Start="<580210102>" is the second part');
});

t.test('instantcom deliver-req5: raw binary part (no CTE) in CRLF body, start folded with a TAB', async (t) => {
  const root = await parseMultipart(whole(read('instantcom-mm7/deliver-req5.txt')), samples()[7]?.contentType ?? '');
  const [soap, content] = root.parts ?? [];
  t.equal(root.parts?.length, 2);
  t.equal(soap?.contentId, undefined);
  t.ok(text(soap).startsWith('<SOAP-ENV:Envelope'));
  t.equal(content?.contentId, 'content_15');
  t.same(content?.contentType, {
    type: 'multipart/related',
    params: { type: 'application/smil', start: '<smil>', boundary: '----=_Part_25_182972131.1346680532641' },
  });
  const [smil, jpeg] = content?.parts ?? [];
  t.equal(content?.parts?.length, 2);
  t.equal(smil?.contentLocation, 'smil.xml');
  t.ok(text(smil).startsWith('<smil><head><layout><root-layout width="240" height="320"/>'));
  t.equal(startPart(content as MimeEntity), smil);
  t.equal(jpeg?.contentId, 'DCIM_11');
  t.equal(jpeg?.contentLocation, 'DCIM_11.jpg');
  t.equal(jpeg?.transferEncoding, '7bit');
  t.equal(jpeg?.body?.length, 18060, 'bytes 1795..19854 of the file');
  t.same([...(jpeg?.body?.subarray(0, 3) ?? [])], [0xef, 0xbf, 0xbd]);
  t.equal(md5(jpeg?.body), 'a967c4b8493425c87c4781c6791bed0c');
  t.equal(findPart(root, 'DCIM_11.jpg'), jpeg, 'by Content-Location');
  t.equal(findPart(root, '<DCIM_11>'), jpeg, 'by <Content-ID>');
  t.equal(findPart(root, 'cid:content_15'), content);
});

t.test('chunking: one byte at a time and random chunk sizes give the same tree', async (t) => {
  const rnd = prng(0x6d696d65);
  for (const s of samples()) {
    const expected = await parseMultipart(whole(s.body), s.contentType);
    t.same(
      await parseMultipart(
        chunks(s.body, () => 1),
        s.contentType,
      ),
      expected,
      `${s.file}: 1-byte chunks`,
    );
    for (let run = 0; run < 3; run++) {
      const max = [7, 300, 70000][run] as number;
      const got = await parseMultipart(
        chunks(s.body, () => 1 + Math.floor(rnd() * max)),
        s.contentType,
      );
      t.same(got, expected, `${s.file}: random chunks up to ${max}`);
    }
    // Uint8Array chunks (not Buffers) are accepted as well.
    const u8 = async function* (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(s.body.buffer, s.body.byteOffset, s.body.byteLength);
    };
    t.same(await parseMultipart(u8(), s.contentType), expected, `${s.file}: a Uint8Array`);
  }
  // Control: the comparison above sees a single changed body byte.
  const s0 = samples()[0] as Sample;
  // Bodies may be views of the input chunks (zero-copy), so each parse gets its own copy.
  const a = await parseMultipart(whole(Buffer.from(s0.body)), s0.contentType);
  const b = await parseMultipart(whole(Buffer.from(s0.body)), s0.contentType);
  const leaf = b.parts?.[0]?.body as Buffer;
  leaf[5] = (leaf[5] as number) ^ 1;
  t.notSame(b, a, 'a tree with one body byte changed differs');
});
