// parseUaProf on hostile documents: every one a typed UaProfError, quickly, never an expansion, a crash or a hang.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseUaProf, UaProfError } from '../../protocols/uaprof/index.js';
import { billionLaughs, externalEntity, MMS_2001, RDF, uaprofDoc } from './uaprof-docs.js';

/** The refusal's code and how long it took (ms). */
function refusal(input: string | Buffer, limits?: Parameters<typeof parseUaProf>[1]): { code: string; ms: number } {
  const start = performance.now();
  try {
    parseUaProf(input, limits);
  } catch (err) {
    if (err instanceof UaProfError) return { code: err.code, ms: performance.now() - start };
    throw err;
  }
  return { code: 'parsed', ms: performance.now() - start };
}

t.test('DOCTYPE and entity declarations are refused, never expanded', async (t) => {
  const laughs = refusal(billionLaughs());
  t.equal(laughs.code, 'uaprof-forbidden-construct', 'billion laughs');
  t.ok(laughs.ms < 50, `refused in ${laughs.ms.toFixed(2)} ms`);
  t.equal(refusal(externalEntity()).code, 'uaprof-forbidden-construct', 'an external entity (XXE)');
  t.equal(
    refusal(`<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "http://example.com/ccpp.dtd" [<!ENTITY x "y">]><rdf:RDF xmlns:rdf="${RDF}"/>`)
      .code,
    'uaprof-forbidden-construct',
    'an external DOCTYPE with an internal subset',
  );
  // An external DOCTYPE alone is read past (never fetched): some makers' profiles carry one.
  t.equal(
    refusal(`<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/ccpp.dtd"><rdf:RDF xmlns:rdf="${RDF}"/>`).code,
    'parsed',
    'an external DOCTYPE alone',
  );
  t.equal(
    refusal(`<rdf:RDF xmlns:rdf="${RDF}"><!ENTITY x "y"></rdf:RDF>`).code,
    'uaprof-forbidden-construct',
    'a declaration inside the document',
  );
});

t.test('too large: bytes, elements, attributes', async (t) => {
  const padded = uaprofDoc({ size: '1' }).replace('<!-- written by the test -->', `<!-- ${'x'.repeat(300_000)} -->`);
  const big = refusal(padded);
  t.equal(big.code, 'uaprof-too-large', 'over the default 256 KiB');
  t.ok(big.ms < 5, `refused before any scan (${big.ms.toFixed(2)} ms)`);
  t.equal(refusal(uaprofDoc({ size: '1' }), { maxBytes: 100 }).code, 'uaprof-too-large', 'over a configured maxBytes');
  t.equal(refusal(Buffer.alloc(10 * 1024 * 1024, 0x3c)).code, 'uaprof-too-large', 'a 10 MB buffer');
  const many = `<rdf:RDF xmlns:rdf="${RDF}">${'<a/>'.repeat(6_000)}</rdf:RDF>`;
  const m = refusal(many);
  t.equal(m.code, 'uaprof-too-large', '6,000 elements');
  t.ok(m.ms < 100, `counted, not parsed (${m.ms.toFixed(1)} ms)`);
  const attrs = `<rdf:RDF xmlns:rdf="${RDF}"><a ${Array.from({ length: 6_000 }, (_, k) => `a${k}=""`).join(' ')}/></rdf:RDF>`;
  t.equal(refusal(attrs).code, 'uaprof-too-large', '6,000 attributes');
});

t.test('deep nesting is refused before the parser recurses', async (t) => {
  const deep = `<rdf:RDF xmlns:rdf="${RDF}">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</rdf:RDF>`;
  const r = refusal(deep, { maxBytes: 2_000_000 });
  t.equal(r.code, 'uaprof-malformed');
  t.ok(r.ms < 100, `in ${r.ms.toFixed(1)} ms`);
  const ok = `<rdf:RDF xmlns:rdf="${RDF}" xmlns:mms="${MMS_2001}">${'<rdf:Description>'.repeat(20)}<mms:MmsMaxMessageSize>5000</mms:MmsMaxMessageSize>${'</rdf:Description>'.repeat(20)}</rdf:RDF>`;
  t.equal(parseUaProf(ok).mmsMaxMessageSize, 5000, 'nesting within the limit is read');
});

t.test('garbage never crashes', async (t) => {
  // A fixed seed would be nicer; random bytes of many kinds, each must end as a typed error or a profile.
  let typed = 0;
  for (let k = 0; k < 300; k++) {
    const bytes = randomBytes(1 + ((k * 37) % 2000));
    if (k % 3 === 0) bytes[0] = 0x3c; // '<'
    const r = refusal(k % 2 === 0 ? bytes : bytes.toString('latin1'));
    if (r.code !== 'parsed') typed++;
  }
  t.equal(typed, 300, 'every random input refused with a code');
  // Mutations of a real-shaped document: cut at every 97th position, a byte flipped at every 89th.
  const doc = uaprofDoc({ size: '300000', accept: ['image/jpeg'], versions: ['1.2'] });
  let outcomes = 0;
  for (let cut = 1; cut < doc.length; cut += 97) {
    const r = refusal(doc.slice(0, cut));
    t.ok(r.code !== 'parsed' || cut > doc.length - 10, `cut at ${cut}: ${r.code}`);
    outcomes++;
  }
  for (let at = 0; at < doc.length; at += 89) {
    const b = Buffer.from(doc);
    b[at] = b[at]! ^ 0x5a;
    t.ok(['parsed', 'uaprof-malformed', 'uaprof-forbidden-construct', 'uaprof-too-large'].includes(refusal(b).code));
    outcomes++;
  }
  t.ok(outcomes > 20);
  t.equal(
    refusal(
      `<rdf:RDF xmlns:rdf="${RDF}" xmlns:__proto__="${MMS_2001}"><__proto__:MmsMaxMessageSize>1</__proto__:MmsMaxMessageSize></rdf:RDF>`,
    ).code,
    'parsed',
    'a __proto__ prefix is only a name',
  );
});

t.test('the largest document allowed parses in bounded time', async (t) => {
  // As many list items as the element limit lets through (5,000): the most a profile server can make one parse cost.
  const items = Array.from({ length: 4_980 }, (_, k) => `image/x-type-${k}`);
  const doc = uaprofDoc({ size: '300000', accept: items });
  t.ok(doc.length > 150_000 && doc.length < 262_144, `${doc.length} bytes`);
  // CPU time (wall time on a loaded test host says little), the best of five: the first runs include the
  // compiler's warm-up, which a running gateway has done, and a flood of such documents would not repeat.
  let p = parseUaProf(uaprofDoc({}));
  let ms = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 5; k++) {
    const cpu = process.cpuUsage();
    p = parseUaProf(doc);
    const used = process.cpuUsage(cpu);
    ms = Math.min(ms, (used.user + used.system) / 1000);
  }
  t.equal(p.mmsCcppAccept.length, 256, 'a list is kept to 256 items');
  t.equal(p.mmsMaxMessageSize, 300000);
  t.ok(ms < 100, `parsed in ${ms.toFixed(1)} ms of CPU`);
});
