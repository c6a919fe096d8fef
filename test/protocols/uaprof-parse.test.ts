// parseUaProf over documents written by the test in each shape real profiles come in (issue 25).
import t from 'tap';
import { parseUaProf, UaProfError } from '../../protocols/uaprof/index.js';
import { MMS_2001, RDF, UAPROF_2001, UAPROF_OMA, uaprofDoc } from './uaprof-docs.js';

const FULL = {
  size: '307200',
  resolution: '640x480',
  accept: ['image/jpeg', 'image/gif', 'application/smil'],
  charsets: ['utf-8', 'US-ASCII'],
  versions: ['1.0', '1.2'],
  screen: '240x320',
};

t.test('the common shape: mms: prefix, rdf:Bag, the wapforum MMS schema', async (t) => {
  const p = parseUaProf(uaprofDoc(FULL));
  t.strictSame(p, {
    mmsCcppAccept: ['image/jpeg', 'image/gif', 'application/smil'],
    mmsCcppAcceptCharSet: ['utf-8', 'US-ASCII'],
    mmsVersion: ['1.0', '1.2'],
    hasMms: true,
    mmsMaxMessageSize: 307200,
    mmsMaxImageResolution: { width: 640, height: 480 },
    screenSize: { width: 240, height: 320 },
  });
});

t.test('prefixes do not matter, namespaces do', async (t) => {
  const prf = parseUaProf(uaprofDoc({ ...FULL, mms: 'prf', mmsNs: UAPROF_2001, size: '102400' }));
  t.equal(prf.mmsMaxMessageSize, 102400, 'prf: in the UAProf schema namespace (one prefix for everything)');
  const odd = parseUaProf(uaprofDoc({ ...FULL, mms: 'ns7', rdf: 'R', prf: 'c', size: '614400' }));
  t.equal(odd.mmsMaxMessageSize, 614400, 'any prefixes');
  t.strictSame(odd.mmsCcppAccept, ['image/jpeg', 'image/gif', 'application/smil']);
  const oma = parseUaProf(uaprofDoc({ ...FULL, mmsNs: UAPROF_OMA, prfNs: UAPROF_OMA, size: '1048576' }));
  t.equal(oma.mmsMaxMessageSize, 1048576, 'the OMA schema namespace');
  const upper = parseUaProf(uaprofDoc({ ...FULL, mmsNs: 'HTTP://WWW.WAPFORUM.ORG/PROFILES/MMS/ccppschema-20020710#' }));
  t.equal(upper.mmsMaxMessageSize, 307200, 'the schema URI matched case-insensitively');
  // The mms: prefix bound to an unrelated namespace: the names are not MMS characteristics.
  const foreign = parseUaProf(uaprofDoc({ ...FULL, mmsNs: 'http://example.com/not-a-profile#' }));
  t.equal(foreign.hasMms, false, 'Mms* names in another namespace are not read');
  t.equal(foreign.mmsMaxMessageSize, undefined);
  t.strictSame(foreign.mmsCcppAccept, []);
  t.strictSame(foreign.screenSize, { width: 240, height: 320 }, 'the hardware component still is');
});

t.test('the RDF namespace with or without its #, and rdf:Seq', async (t) => {
  const noHash = parseUaProf(uaprofDoc({ ...FULL, rdfNs: RDF.slice(0, -1) }));
  t.strictSame(noHash.mmsCcppAccept, ['image/jpeg', 'image/gif', 'application/smil'], 'no trailing #');
  const seq = parseUaProf(uaprofDoc({ ...FULL, list: 'Seq' }));
  t.strictSame(seq.mmsVersion, ['1.0', '1.2'], 'rdf:Seq');
  t.strictSame(seq.mmsCcppAcceptCharSet, ['utf-8', 'US-ASCII']);
  // A Bag in some other namespace is not an RDF container.
  const fake = parseUaProf(
    `<r:RDF xmlns:r="${RDF}" xmlns:m="${MMS_2001}" xmlns:x="urn:x"><r:Description><m:MmsCcppAccept><x:Bag><x:li>image/png</x:li></x:Bag></m:MmsCcppAccept></r:Description></r:RDF>`,
  );
  t.strictSame(fake.mmsCcppAccept, [], 'x:Bag is not rdf:Bag');
  t.equal(fake.hasMms, true, 'an MMS property was still there');
});

t.test('2048X2048, spaces, case and parameters', async (t) => {
  const p = parseUaProf(
    uaprofDoc({
      size: '  300000 \n',
      resolution: '2048X2048 ',
      accept: [' Image/JPEG ', 'image/gif; q=0.5', 'image/jpeg', '  '],
      versions: ['1.2 '],
      screen: ' 176 x 208',
    }),
  );
  t.equal(p.mmsMaxMessageSize, 300000);
  t.strictSame(p.mmsMaxImageResolution, { width: 2048, height: 2048 });
  t.strictSame(p.mmsCcppAccept, ['image/jpeg', 'image/gif'], 'lower case, parameters off, duplicates and blanks gone');
  t.strictSame(p.mmsVersion, ['1.2']);
  t.strictSame(p.screenSize, { width: 176, height: 208 });
  const bad = parseUaProf(uaprofDoc({ size: '300 KB', resolution: '0x480', screen: 'big' }));
  t.equal(bad.mmsMaxMessageSize, undefined, 'a size that is not a number is unset');
  t.equal(bad.mmsMaxImageResolution, undefined, 'a zero dimension is unset');
  t.equal(bad.screenSize, undefined);
  t.equal(bad.hasMms, true);
});

t.test('values as attributes of the rdf:Description', async (t) => {
  const p = parseUaProf(uaprofDoc({ ...FULL, asAttributes: true, size: '614400', resolution: '1600x1200' }));
  t.equal(p.mmsMaxMessageSize, 614400);
  t.strictSame(p.mmsMaxImageResolution, { width: 1600, height: 1200 });
  t.strictSame(p.mmsVersion, ['1.0', '1.2'], 'the lists still as elements');
});

t.test('old spellings and lists written as text', async (t) => {
  const p = parseUaProf(
    `<rdf:RDF xmlns:rdf="${RDF}" xmlns:mms="${MMS_2001}"><rdf:Description rdf:ID="MmsCharacteristics">` +
      '<mms:MmsVersion>1.0</mms:MmsVersion><mms:MmsCcppAccept-CharSet><rdf:Bag><rdf:li>UTF-8</rdf:li></rdf:Bag></mms:MmsCcppAccept-CharSet>' +
      '<mms:MmsCcppAccept>image/jpeg, image/gif</mms:MmsCcppAccept></rdf:Description></rdf:RDF>',
  );
  t.strictSame(p.mmsVersion, ['1.0'], 'a version as plain text (old Sony Ericsson style)');
  t.strictSame(p.mmsCcppAcceptCharSet, ['UTF-8'], 'MmsCcppAccept-CharSet (WAP-209 era name)');
  t.strictSame(p.mmsCcppAccept, ['image/jpeg', 'image/gif'], 'a comma-separated literal');
});

t.test('a value outside prf:Defaults wins over the default', async (t) => {
  const doc = `<rdf:RDF xmlns:rdf="${RDF}" xmlns:prf="${UAPROF_2001}" xmlns:mms="${MMS_2001}"><rdf:Description rdf:ID="MmsCharacteristics">
    <mms:MmsMaxMessageSize>600000</mms:MmsMaxMessageSize>
    <prf:Defaults><rdf:Description><mms:MmsMaxMessageSize>100000</mms:MmsMaxMessageSize><mms:MmsMaxImageResolution>320x240</mms:MmsMaxImageResolution></rdf:Description></prf:Defaults>
  </rdf:Description></rdf:RDF>`;
  const p = parseUaProf(doc);
  t.equal(p.mmsMaxMessageSize, 600000, 'the override');
  t.strictSame(p.mmsMaxImageResolution, { width: 320, height: 240 }, 'the default where nothing overrides it');
});

t.test('a profile without MMS characteristics is text-only, not an error', async (t) => {
  const p = parseUaProf(uaprofDoc({ noMms: true, screen: '128x128' }));
  t.equal(p.hasMms, false);
  t.strictSame(p.mmsCcppAccept, []);
  t.equal(p.mmsMaxMessageSize, undefined);
  t.strictSame(p.screenSize, { width: 128, height: 128 });
});

t.test('bytes: UTF-8 with a BOM, UTF-16, and a declared encoding', async (t) => {
  const doc = uaprofDoc(FULL);
  t.equal(parseUaProf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)])).mmsMaxMessageSize, 307200, 'UTF-8 BOM');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc.replace('UTF-8', 'UTF-16'), 'utf16le')]);
  t.equal(parseUaProf(le).mmsMaxMessageSize, 307200, 'UTF-16LE with its BOM');
  const latin = Buffer.from(doc.replace('UTF-8', 'ISO-8859-1'), 'latin1');
  t.equal(parseUaProf(latin).mmsMaxMessageSize, 307200, 'ISO-8859-1 declared');
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof UaProfError) return err.code;
    throw err;
  }
  return 'parsed';
}

t.test('not a profile', async (t) => {
  t.equal(
    code(() => parseUaProf('')),
    'uaprof-malformed',
    'empty',
  );
  t.equal(
    code(() => parseUaProf('<html><body>404</body></html>')),
    'uaprof-malformed',
    'an HTML error page',
  );
  t.equal(
    code(() => parseUaProf(`<rdf:RDF xmlns:rdf="${RDF}"><a></b></rdf:RDF>`)),
    'uaprof-malformed',
    'mismatched tags',
  );
  t.equal(
    code(() => parseUaProf('<rdf:RDF><x/></rdf:RDF>')),
    'uaprof-malformed',
    'an undeclared prefix',
  );
  t.equal(
    code(() => parseUaProf(`<rdf:RDF xmlns:rdf="${RDF}">&nbsp;</rdf:RDF>`)),
    'uaprof-malformed',
    'an undeclared entity',
  );
  t.equal(
    code(() => parseUaProf(Buffer.from([0xc3, 0x28, 0x3c]))),
    'uaprof-malformed',
    'invalid UTF-8',
  );
});
