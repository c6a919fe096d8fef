// protocols/smil: the MMS SMIL presentation (OMA-MMS-CONF v1.2, "MMS SMIL") built and read back. The built document is
// checked with fast-xml-parser directly (not our reader), real composers' shapes are read (DOCTYPE, namespace,
// prefixes, upper case, media outside <par>), and references resolve by cid: and Content-Location.
import { XMLParser } from 'fast-xml-parser';
import t from 'tap';
import {
  buildSmil,
  DEFAULT_SLIDE_DUR,
  readSmil,
  refFor,
  resolveRef,
  slidesFor,
  smilRefs,
  type SmilPresentation,
} from '../../protocols/smil/index.js';

const plain = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (n, _p, _l, isAttr) => !isAttr && ['par', 'region', 'img', 'text', 'audio', 'video'].includes(n),
});

t.test('slidesFor: one image/video, one text, one audio per slide; never video with audio; attachments left out', async (t) => {
  const slides = slidesFor([
    { contentType: 'image/jpeg', src: 'cid:a' },
    { contentType: 'text/plain', src: 'cid:b' },
    { contentType: 'image/gif', src: 'cid:c' },
    { contentType: 'audio/amr', src: 'cid:d' },
    { contentType: 'text/x-vcard', src: 'cid:e' },
    { contentType: 'video/mp4', src: 'cid:f' },
    { contentType: 'text/plain', src: 'cid:g' },
  ]);
  t.same(
    slides.map((s) => s.media.map((m) => `${m.element}:${m.src}:${m.region ?? '-'}`)),
    [
      ['img:cid:a:Image', 'text:cid:b:Text'],
      ['img:cid:c:Image', 'audio:cid:d:-'],
      ['video:cid:f:Image', 'text:cid:g:Text'],
    ],
  );
});

t.test('buildSmil: root-layout, the two regions, a par per slide, attribute values escaped', async (t) => {
  const p: SmilPresentation = {
    slides: [
      {
        media: [
          { element: 'img', src: 'photo "1" & <2>.jpg' },
          { element: 'text', src: 'cid:t1' },
        ],
      },
      { media: [{ element: 'audio', src: 'cid:a1' }], dur: '3s' },
      { media: [{ element: 'text', src: 'cid:t2' }], dur: 'javascript:alert(1)' },
    ],
  };
  const xml = buildSmil(p, { width: 640, height: 480 });
  const doc = plain.parse(xml);
  const layout = doc.smil.head.layout;
  t.same(layout['root-layout'], { width: '640', height: '480' });
  t.same(
    layout.region.map((r: Record<string, string>) => [r.id, r.top, r.height]),
    [
      ['Image', '0', '360'],
      ['Text', '360', '120'],
    ],
  );
  const pars = doc.smil.body.par;
  t.equal(pars.length, 3);
  t.equal(pars[0].img[0].src, 'photo "1" & <2>.jpg', 'escaped and read back exactly');
  t.equal(pars[0].img[0].region, 'Image');
  t.equal(pars[0].text[0].region, 'Text');
  t.equal(pars[1].dur, '3s');
  t.equal(pars[1].audio[0].region, undefined, 'audio has no region');
  t.equal(pars[2].dur, DEFAULT_SLIDE_DUR, 'a dur that is not a clock value is not written');
  // Read back by our reader: the same slides.
  t.same(readSmil(xml), {
    slides: [
      {
        media: [
          { element: 'img', src: 'photo "1" & <2>.jpg', region: 'Image' },
          { element: 'text', src: 'cid:t1', region: 'Text' },
        ],
        dur: '5000ms',
      },
      { media: [{ element: 'audio', src: 'cid:a1' }], dur: '3s' },
      { media: [{ element: 'text', src: 'cid:t2', region: 'Text' }], dur: '5000ms' },
    ],
  });
});

t.test('buildSmil: text only -> one Text region over the whole screen; a bad layout refused', async (t) => {
  const doc = plain.parse(buildSmil({ slides: [{ media: [{ element: 'text', src: 'cid:x' }] }] }, { width: 176, height: 144 }));
  t.same(doc.smil.head.layout.region, [{ id: 'Text', width: '176', height: '144', left: '0', top: '0', fit: 'scroll' }]);
  t.throws(() => buildSmil({ slides: [] }, { width: 0, height: 10 }), { name: 'SmilError', code: 'NOT_SMIL' });
});

t.test('readSmil: what composers write', async (t) => {
  const nokia = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE smil PUBLIC "-//W3C//DTD SMIL 2.0//EN" "http://www.w3.org/2001/SMIL20/SMIL20.dtd">
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
 <head><layout><root-layout width="160" height="160"/><region id="Image" width="160" height="120"/></layout></head>
 <body>
  <par dur="35.723s"><img src="Slide_1.jpg" region="Image"/><audio src="Slide_1.mid" end="35.723s"/><text src="Slide.txt" region="Text"/></par>
  <par dur="6s"><img src="cid:img%202" region="Image"/></par>
  <par dur="1s"></par>
 </body>
</smil>`;
  t.same(readSmil(Buffer.from(nokia)), {
    slides: [
      {
        media: [
          { element: 'img', src: 'Slide_1.jpg', region: 'Image' },
          { element: 'audio', src: 'Slide_1.mid' },
          { element: 'text', src: 'Slide.txt', region: 'Text' },
        ],
        dur: '35.723s',
      },
      { media: [{ element: 'img', src: 'cid:img%202', region: 'Image' }], dur: '6s' },
    ],
  });
  const odd = `<s:SMIL xmlns:s="http://www.w3.org/2001/SMIL20/Language"><s:BODY><s:seq>
    <s:IMG src=" a.png "/><s:par><s:switch><s:video src="v.3gp" alt="clip &amp; more"/></s:switch></s:par>
    <s:ref src="card.vcf"/><s:animation src="anim.gif"/><s:text/></s:seq></s:BODY></s:SMIL>`;
  const p = readSmil(odd);
  t.same(
    p.slides.map((s) => s.media.map((m) => `${m.element}:${m.src}`)),
    [['img:a.png'], ['video:v.3gp'], ['ref:card.vcf'], ['img:anim.gif']],
  );
  t.equal(p.slides[1]!.media[0]!.alt, 'clip & more');
  t.same(smilRefs({ slides: [...p.slides, ...p.slides] }), ['a.png', 'v.3gp', 'card.vcf', 'anim.gif']);
});

t.test('readSmil: hostile input ends in a SmilError, fast', async (t) => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE smil [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><smil><body><text src="&b;"/></body></smil>`;
  const external = `<!DOCTYPE smil [<!ENTITY x SYSTEM "file:///etc/passwd">]><smil><body><text src="&x;"/></body></smil>`;
  const cases: [string, string | Buffer, string][] = [
    ['billion laughs', laughs, 'DOCTYPE'],
    ['external entity', external, 'DOCTYPE'],
    ['undeclared entity', '<smil><body><img src="&x;"/></body></smil>', 'NOT_XML'],
    ['not XML', Buffer.from([0xff, 0xfe, 0x00, 0xd8]), 'NOT_XML'],
    ['empty', '', 'NOT_XML'],
    ['not well-formed', '<smil><body><par></body></smil>', 'NOT_XML'],
    ['not smil', '<html><body/></html>', 'NOT_SMIL'],
    ['two roots', '<smil/><smil/>', 'NOT_SMIL'],
    ['too large', Buffer.alloc(200_000, 0x20), 'TOO_LARGE'],
    ['too deep', `<smil><body>${'<seq>'.repeat(100)}${'</seq>'.repeat(100)}</body></smil>`, 'TOO_DEEP'],
    ['too many elements', `<smil><body>${'<par/>'.repeat(3000)}</body></smil>`, 'TOO_MANY_ELEMENTS'],
    ['__proto__ names', '<smil><body><__proto__ src="x"/><par><img src="y" constructor="1"/></par></body></smil>', 'ok'],
  ];
  for (const [name, input, code] of cases) {
    const t0 = performance.now();
    if (code === 'ok') t.same(smilRefs(readSmil(input)), ['y'], name);
    else t.throws(() => readSmil(input), { name: 'SmilError', code }, name);
    t.ok(performance.now() - t0 < 200, `${name}: quick`);
  }
  t.throws(() => readSmil(42 as unknown as string), { name: 'SmilError', code: 'NOT_XML' }, 'not a string or Buffer');
});

t.test('resolveRef and refFor: cid (percent-decoded, brackets), Content-Location (./, case), bare ids', async (t) => {
  const parts = [{ contentId: '<img 2>', contentLocation: 'Photo.PNG' }, { contentLocation: 'text.txt' }, { contentId: 'abc@host' }];
  t.equal(resolveRef('cid:img%202', parts), 0);
  t.equal(resolveRef('photo.png', parts), 0);
  t.equal(resolveRef('./text.txt', parts), 1);
  t.equal(resolveRef('CID:abc@host', parts), 2);
  t.equal(resolveRef('abc@host', parts), 2, 'a Content-ID without cid:');
  t.equal(resolveRef('cid:nothing', parts), undefined);
  t.equal(resolveRef('missing.jpg', parts), undefined);
  t.equal(refFor(parts[0]!), 'cid:img%202');
  t.equal(refFor(parts[1]!), 'text.txt');
  t.equal(resolveRef(refFor(parts[0]!)!, parts), 0, 'what refFor writes resolves back');
});

t.test('readSmil: 2,000 mutated documents end in slides or a SmilError, never another exception', async (t) => {
  const { prng } = await import('../helpers/prng.js');
  const rnd = prng(25);
  const base = Buffer.from(
    buildSmil(
      {
        slides: slidesFor([
          { contentType: 'image/jpeg', src: 'cid:a&b' },
          { contentType: 'text/plain', src: 't.txt' },
          { contentType: 'audio/amr', src: 'x' },
        ]),
      },
      { width: 176, height: 144 },
    ),
  );
  const tokens = [
    '<',
    '>',
    '&',
    '"',
    "'",
    '<!DOCTYPE x [',
    ']>',
    '<!ENTITY e "x">',
    '&e;',
    '&#0;',
    '&#x110000;',
    '</par>',
    '<par>',
    '\0',
    '\uFFFF',
  ];
  let read = 0;
  let refused = 0;
  for (let k = 0; k < 2000; k++) {
    let s = base.toString('latin1');
    for (let m = 1 + Math.floor(rnd() * 4); m > 0; m--) {
      const at = Math.floor(rnd() * s.length);
      const cut = Math.floor(rnd() * 8);
      const ins = rnd() < 0.5 ? tokens[Math.floor(rnd() * tokens.length)]! : String.fromCharCode(Math.floor(rnd() * 256));
      s = s.slice(0, at) + ins + s.slice(at + cut);
    }
    try {
      readSmil(Buffer.from(s, 'latin1'));
      read++;
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'SmilError') throw e;
      refused++;
    }
  }
  t.equal(read + refused, 2000);
  t.ok(refused > 100 && read > 10, `${read} read, ${refused} refused`);
});
