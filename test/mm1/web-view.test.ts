// The SMS fallback web view (src/mm1/web-view.ts): hostile values come out inert, each kind of part is rendered
// as it should be, SMIL is left out and the order kept. The output is parsed by a small tokenizer below (enough
// for this well-formed output) so that assertions look at elements and decoded attribute values.
import { createHash } from 'node:crypto';
import t from 'tap';
import type { Test } from 'tap';
import { WEB_VIEW_CSP, escapeHtml, humanSize, renderViewError, renderWebView } from '../../src/mm1/web-view.js';
import type { ViewModel, ViewPart } from '../../src/mm1/web-view.js';

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: Node[];
  parent?: El;
}
type Node = El | string;

const VOID = new Set(['meta', 'img', 'br', 'link', 'input', 'hr', 'source']);
// Raw text (no markup inside); <title> is RCDATA: no markup either, but entities are decoded.
const RAW = new Set(['style', 'script', 'title']);

function decode(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()];
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** Tags, attributes (decoded) and text into a tree; throws on anything unbalanced. */
function parse(html: string): El {
  const root: El = { tag: '#root', attrs: {}, children: [] };
  let cur = root;
  const re =
    /<!--[\s\S]*?-->|<!doctype[^>]*>|<\/([a-z0-9]+)\s*>|<([a-z0-9]+)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>|([^<]+)/giy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < html.length) {
    re.lastIndex = pos;
    m = re.exec(html);
    if (m === null) throw new Error(`cannot parse at ${pos}: ${html.slice(pos, pos + 40)}`);
    pos = re.lastIndex;
    const [, close, open, attrText, text] = m;
    if (text !== undefined) cur.children.push(decode(text));
    else if (close !== undefined) {
      if (cur.tag !== close.toLowerCase()) throw new Error(`</${close}> closes <${cur.tag}>`);
      cur = cur.parent ?? root;
    } else if (open !== undefined) {
      const el: El = { tag: open.toLowerCase(), attrs: {}, children: [], parent: cur };
      for (const a of (attrText ?? '').matchAll(/([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
        el.attrs[a[1].toLowerCase()] = decode(a[2] ?? a[3] ?? a[4] ?? '');
      }
      cur.children.push(el);
      if (RAW.has(el.tag)) {
        const end = html.toLowerCase().indexOf(`</${el.tag}>`, pos);
        if (end < 0) throw new Error(`unclosed <${el.tag}>`);
        el.children.push(el.tag === 'title' ? decode(html.slice(pos, end)) : html.slice(pos, end));
        pos = end + el.tag.length + 3;
      } else if (!VOID.has(el.tag)) cur = el;
    }
  }
  if (cur !== root) throw new Error(`unclosed <${cur.tag}>`);
  return root;
}

function all(n: El, pred: (e: El) => boolean, out: El[] = []): El[] {
  for (const c of n.children) {
    if (typeof c === 'string') continue;
    if (pred(c)) out.push(c);
    all(c, pred, out);
  }
  return out;
}
const byTag = (n: El, tag: string): El[] => all(n, (e) => e.tag === tag);
const one = (n: El, tag: string): El => {
  const found = byTag(n, tag);
  if (found.length !== 1) throw new Error(`${found.length} <${tag}>`);
  return found[0];
};
function textOf(n: Node): string {
  if (typeof n === 'string') return n;
  if (n.tag === 'br') return '\n';
  return n.children.map(textOf).join('');
}
const parts = (doc: El): El[] => all(doc, (e) => 'data-part' in e.attrs);

const EVIL = `<script>alert(1)</script> "quoted" 'single' & more`;
const href = (i: number): string => `/m/tok"en&x=<${i}>/part/${i}`;

function model(over: Partial<ViewModel> = {}): ViewModel {
  return {
    subject: 'Holiday',
    from: '+15551234567',
    sentAt: new Date('2024-05-01T12:34:56Z'),
    parts: [],
    mediaHref: (i) => `/m/abc/${i}`,
    ...over,
  };
}

/** No script element, no event handler attribute, no javascript: URL anywhere in the tree. */
function assertInert(tt: Test, html: string): El {
  tt.notOk(/<script/i.test(html), 'no "<script" anywhere in the output');
  const doc = parse(html);
  tt.same(byTag(doc, 'script'), [], 'no <script> element');
  const handlers = all(doc, (e) => Object.keys(e.attrs).some((a) => a.startsWith('on')));
  tt.same(
    handlers.map((e) => e.tag),
    [],
    'no on* attributes',
  );
  const jsUrls = all(doc, (e) => Object.values(e.attrs).some((v) => /^\s*javascript:/i.test(v)));
  tt.same(
    jsUrls.map((e) => e.tag),
    [],
    'no javascript: URLs',
  );
  return doc;
}

t.test('document basics', async (t) => {
  const html = renderWebView(model());
  const doc = assertInert(t, html);
  t.ok(html.startsWith('<!doctype html>'), 'doctype');
  t.equal(one(doc, 'html').attrs.lang, 'en', '<html lang>');
  const metas = byTag(doc, 'meta');
  t.ok(
    metas.some((m) => m.attrs.charset === 'utf-8'),
    'charset',
  );
  t.ok(
    metas.some((m) => m.attrs.name === 'viewport' && m.attrs.content === 'width=device-width, initial-scale=1'),
    'viewport',
  );
  t.equal(textOf(one(doc, 'h1')), 'Holiday', 'subject is the <h1>');
  t.equal(textOf(one(doc, 'title')), 'Holiday');
  const meta = all(doc, (e) => e.attrs.class === 'meta')[0];
  t.match(textOf(meta), /^From \+15551234567 · 1 May 2024, 12:34 UTC$/, 'from and date beneath');
  t.equal(one(doc, 'time').attrs.datetime, '2024-05-01T12:34:56.000Z');
  t.equal(textOf(one(renderDoc({ subject: undefined }), 'h1')), 'Multimedia message', 'no subject');
  t.equal(textOf(one(renderDoc({ subject: '  ' }), 'h1')), 'Multimedia message', 'blank subject');
  t.same(
    all(renderDoc({ from: undefined }), (e) => e.attrs.class === 'from'),
    [],
    'no from: no From',
  );
  t.equal(byTag(renderDoc({ sentAt: new Date(NaN) }), 'time').length, 0, 'invalid date left out');
});

function renderDoc(over: Partial<ViewModel>): El {
  return parse(renderWebView(model(over)));
}

t.test('CSP', async (t) => {
  const d = Object.fromEntries(
    WEB_VIEW_CSP.split(';')
      .map((s) => s.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v.join(' ')]),
  );
  t.equal(d['default-src'], "'none'");
  t.equal(d['img-src'], "'self'");
  t.equal(d['media-src'], "'self'");
  t.notOk('script-src' in d, 'no script-src: default-src none forbids scripts');
  t.match(d['style-src'], /^'sha256-[A-Za-z0-9+/]+=*'$/, 'style-src by hash');
  // The hash must be that of the page's only style sheet, or the browser would drop it.
  const style = textOf(one(parse(renderWebView(model())), 'style'));
  t.equal(d['style-src'], `'sha256-${createHash('sha256').update(style).digest('base64')}'`, 'hash matches the <style>');
  t.equal(textOf(one(parse(renderViewError('expired')), 'style')), style, 'error pages use the same sheet');
  t.same(
    all(parse(renderWebView(model({ parts: everyKind }))), (e) => 'style' in e.attrs),
    [],
    'no style attributes',
  );
});

const everyKind: ViewPart[] = [
  { index: 0, contentType: 'application/smil', name: 'layout.smil', size: 420, text: '<smil><body/></smil>' },
  { index: 1, contentType: 'text/plain', name: 'text.txt', size: 40, text: 'Line one\nline two\n\nSecond paragraph\r\nwith CRLF' },
  { index: 2, contentType: 'image/jpeg', name: 'beach.jpg', size: 48213 },
  { index: 3, contentType: 'audio/amr', name: 'voice.amr', size: 6000 },
  { index: 4, contentType: 'video/3gpp', name: 'clip.3gp', size: 2_500_000 },
  { index: 5, contentType: 'text/x-vcard', name: 'alice.vcf', size: 300, text: 'BEGIN:VCARD' },
  { index: 6, contentType: 'application/pdf', size: 100 },
  { index: 7, contentType: 'image/vnd.wap.wbmp', name: 'logo.wbmp', size: 200 },
  { index: 8, contentType: 'image/png', size: 10 },
];

t.test('part kinds, order, SMIL skipped', async (t) => {
  const html = renderWebView(model({ parts: everyKind }));
  const doc = assertInert(t, html);
  const ps = parts(doc);
  t.same(
    ps.map((p) => p.attrs['data-part']),
    ['1', '2', '3', '4', '5', '6', '7', '8'],
    'SMIL left out, order kept',
  );
  t.same(
    ps.map((p) => p.attrs['data-kind']),
    ['text', 'image', 'audio', 'video', 'file', 'file', 'file', 'image'],
  );
  t.notOk(html.includes('smil'), 'nothing of the SMIL part in the page');

  const [text, image, audio, video, vcard, pdf, wbmp, png] = ps;
  t.same(byTag(text, 'p').map(textOf), ['Line one\nline two', 'Second paragraph\nwith CRLF'], 'paragraphs, line breaks kept');
  t.equal(byTag(text, 'br').length, 2);

  const img = one(image, 'img');
  t.same(img.attrs, { src: '/m/abc/2', alt: 'beach.jpg' }, 'image: <img src alt>');
  t.equal(one(png, 'img').attrs.alt, 'Image 9', 'alt without a name');
  t.match(textOf(one(doc, 'style')), /img,video\{[^}]*max-width:100%/, 'images no wider than the screen');

  const a = one(audio, 'audio');
  t.equal(a.attrs.src, '/m/abc/3');
  t.ok('controls' in a.attrs, 'audio controls');
  t.equal(one(audio, 'a').attrs.href, '/m/abc/3', 'audio also downloadable');
  const v = one(video, 'video');
  t.equal(v.attrs.src, '/m/abc/4');
  t.ok('controls' in v.attrs, 'video controls');
  t.match(textOf(video), /clip\.3gp \(2\.4 MB\)/);

  t.equal(one(vcard, 'a').attrs.href, '/m/abc/5', 'a vCard is a file, not prose');
  t.equal(textOf(vcard), 'alice.vcf (300 B)');
  t.equal(one(vcard, 'a').attrs.download, 'alice.vcf');
  t.equal(textOf(pdf), 'application/pdf (part 7) (100 B)', 'nameless file: type as link text');
  t.equal(textOf(wbmp), 'logo.wbmp (200 B)', 'WBMP offered as a file (browsers do not show it)');

  t.test('text without decoded text is a file', async (t) => {
    const d = renderDoc({ parts: [{ index: 0, contentType: 'text/plain', name: 'a.txt', size: 3 }] });
    t.equal(parts(d)[0].attrs['data-kind'], 'file');
  });
  t.test('empty message', async (t) => {
    t.same(parts(renderDoc({ parts: [] })), []);
    t.same(parts(renderDoc({ parts: [everyKind[0]] })), [], 'SMIL only');
  });
});

t.test('hostile values come out inert', async (t) => {
  const html = renderWebView(
    model({
      subject: EVIL,
      from: EVIL,
      mediaHref: href,
      parts: [
        { index: 0, contentType: 'text/plain', size: 1, text: `${EVIL}\n<img src=x onerror=alert(1)>` },
        { index: 1, contentType: 'image/gif', name: EVIL, size: 1 },
        { index: 2, contentType: 'application/octet-stream', name: `x" onclick="alert(1)`, size: 1 },
        { index: 3, contentType: 'audio/mpeg', name: EVIL, size: 1 },
      ],
    }),
  );
  const doc = assertInert(t, html);
  t.equal(textOf(one(doc, 'h1')), EVIL, 'subject shown literally');
  t.equal(textOf(one(doc, 'title')), EVIL);
  t.equal(textOf(all(doc, (e) => e.attrs.class === 'from')[0]), EVIL, 'from shown literally');
  const ps = parts(doc);
  t.equal(textOf(ps[0]), `${EVIL}\n<img src=x onerror=alert(1)>`, 'text shown literally');
  t.equal(byTag(doc, 'img').length, 1, 'only the image part is an <img>');
  t.same(one(ps[1], 'img').attrs, { src: href(1), alt: EVIL }, 'name and href survive as attribute values');
  const link = one(ps[2], 'a');
  t.same(link.attrs, { href: href(2), download: `x" onclick="alert(1)` }, 'quote in a name does not open an attribute');
  t.equal(one(ps[3], 'audio').attrs.src, href(3));
  t.notOk(html.includes(EVIL), 'the raw string never appears');
  t.notOk(/<img src=x/i.test(html));
});

t.test('error pages', async (t) => {
  for (const status of ['not-found', 'expired'] as const) {
    const html = renderViewError(status);
    const doc = assertInert(t, html);
    t.equal(one(doc, 'html').attrs.lang, 'en');
    t.ok(
      byTag(doc, 'meta').some((m) => m.attrs.name === 'viewport'),
      'viewport',
    );
    t.equal(all(doc, (e) => e.attrs['data-error'] === status).length, 1, status);
  }
  t.match(textOf(one(parse(renderViewError('expired')), 'h1')), /expired/i);
  t.match(textOf(one(parse(renderViewError('not-found')), 'h1')), /not found/i);
});

t.test('helpers', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.equal(humanSize(0), '0 B');
  t.equal(humanSize(1023), '1023 B');
  t.equal(humanSize(1024), '1.0 KB');
  t.equal(humanSize(48213), '47 KB');
  t.equal(humanSize(5 * 1024 * 1024), '5.0 MB');
});
