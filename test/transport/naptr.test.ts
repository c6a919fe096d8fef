// ENUM lookups over real DNS on loopback: NaptrClient (node:dns on the configured server) against a tiny DNS
// server written here (test/helpers/dns-server.ts), and EnumPortability on top of it: a ported number's
// NAPTR record names its new network's MMS domain; no record, NXDOMAIN, SERVFAIL, silence, malformed and
// hostile answers fall back (no answer, or an error the cache logs), never a crash or a hang.
import { pino } from 'pino';
import t from 'tap';
import { EnumPortability } from '../../src/core/portability-enum.js';
import { NaptrClient } from '../../src/transport/naptr.js';
import { answerRr, dnsServer, header, naptrRdata, type NaptrRr } from '../helpers/dns-server.js';

const log = pino({ level: 'silent' });
const PORTED = '+31612345678';
const DOMAIN = '8.7.6.5.4.3.2.1.6.1.3.e164enum.net';

const mms = (regexp: string, o: Partial<NaptrRr> = {}): NaptrRr => ({
  order: 100,
  preference: 10,
  flags: 'u',
  service: 'E2U+mms:mailto',
  regexp,
  ...o,
});

t.test('NaptrClient reads the records a DNS server answers; none, NXDOMAIN and NODATA are []', async (t) => {
  const dns = await dnsServer(t, (q) => {
    if (q.name === DOMAIN)
      return {
        records: [
          mms('!^.*$!mailto:+31612345678@mms.mnc003.mcc204.gprs!', { order: 10, preference: 20 }),
          { order: 10, preference: 5, flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:x@y.example!' },
        ],
      };
    if (q.name.startsWith('1.')) return { rcode: 3 };
    return { records: [] };
  });
  const client = new NaptrClient({ servers: [dns.address], timeoutMs: 2000 });
  const records = await client.resolve(DOMAIN);
  t.equal(records.length, 2);
  t.match(records, [
    { order: 10, preference: 20, flags: 'u', service: 'E2U+mms:mailto', regexp: '!^.*$!mailto:+31612345678@mms.mnc003.mcc204.gprs!' },
    { service: 'E2U+sip' },
  ]);
  t.strictSame(await client.resolve('1.2.e164enum.net'), [], 'NXDOMAIN');
  t.strictSame(await client.resolve('2.2.e164enum.net'), [], 'NODATA');
  t.match(dns.queries[0], { name: DOMAIN, type: 35 }, 'a NAPTR query (type 35) for the ENUM domain');
});

t.test('NaptrClient: SERVFAIL, malformed answers and silence are errors, within the timeout', async (t) => {
  const dns = await dnsServer(t, (q) => {
    switch (q.name.split('.')[0]) {
      case 'servfail':
        return { rcode: 2 };
      case 'silent':
        return { drop: true };
      case 'rdlength':
        // RDLENGTH says 200 bytes; the packet ends after 20.
        return { raw: (id, question) => Buffer.concat([header(id, 0, 1), question, answerRr(Buffer.alloc(20), 200)]) };
      case 'truncated':
        // A NAPTR RDATA cut inside its REGEXP character-string.
        return {
          raw: (id, question) => {
            const rdata = naptrRdata(mms('!^.*$!mailto:x@y.example!')).subarray(0, 15);
            return Buffer.concat([header(id, 0, 1), question, answerRr(rdata)]);
          },
        };
      case 'garbage':
        return { raw: (id) => Buffer.concat([header(id, 0, 3), Buffer.from([0xff, 0xff, 0xff])]) };
      default:
        return { records: [] };
    }
  });
  const client = new NaptrClient({ servers: [dns.address], timeoutMs: 400 });
  await t.rejects(client.resolve('servfail.e164enum.net'), /SERVFAIL|ESERVFAIL/);
  for (const name of ['rdlength', 'truncated', 'garbage']) {
    await t.rejects(client.resolve(`${name}.e164enum.net`), /NAPTR/, `${name}: an error, not a crash`);
  }
  const start = Date.now();
  await t.rejects(client.resolve('silent.e164enum.net'), /NAPTR silent/);
  const waited = Date.now() - start;
  t.ok(waited >= 300 && waited < 3000, `gave up after the timeout (${waited} ms)`);
  t.strictSame(await client.resolve('ok.e164enum.net'), [], 'still answers afterwards');
});

t.test('EnumPortability: the mms record of a ported number names its network by MMS domain', async (t) => {
  const answers: Record<string, NaptrRr[]> = {
    // Ported to carrier C: the best record (order 10) points at C's MMS domain.
    [DOMAIN]: [
      mms('!^\\+(.*)$!mailto:+\\1@mms.mnc004.mcc204.gprs!', { order: 20 }),
      mms('!^\\+(.*)$!mailto:+\\1@MMS.mnc003.mcc204.gprs!', { order: 10 }),
    ],
    // Ported into our network.
    '1.1.1.1.1.1.1.1.6.1.3.e164enum.net': [mms('!^.*$!mailto:+31611111111@mms.mnc001.mcc204.gprs!')],
    // Served by a network we have no peer for.
    '2.2.2.2.2.2.2.2.6.1.3.e164enum.net': [mms('!^.*$!mailto:+31622222222@mms.mnc099.mcc204.gprs!')],
    // Hostile: only unsafe, oversized or non-mailto records.
    '3.3.3.3.3.3.3.3.6.1.3.e164enum.net': [
      mms('!^(\\d+)+$!mailto:x@mms.mnc003.mcc204.gprs!'),
      mms(`!^(.*)$!mailto:${'\\1'.repeat(30)}@mms.mnc003.mcc204.gprs!`),
      mms('!^.*$!mailto:x@mms.mnc003.mcc204.gprs X-Injected: y!'),
      mms('!^.*$!http://mms.mnc003.mcc204.gprs/!'),
      { order: 1, preference: 1, flags: '', service: 'E2U+mms:mailto', regexp: '', replacement: 'mms.mnc003.mcc204.gprs' },
    ],
    // CR LF inside a character-string: c-ares refuses the whole answer (EBADRESP).
    '5.5.5.5.5.5.5.5.6.1.3.e164enum.net': [mms('!^.*$!mailto:x@mms.mnc003.mcc204.gprs\r\nX: y!')],
  };
  const dns = await dnsServer(t, (q) => ({ records: answers[q.name] ?? [] }));
  const client = new NaptrClient({ servers: [dns.address], timeoutMs: 2000 });
  const domains = new Map([
    ['mms.mnc001.mcc204.gprs', 'home'],
    ['mms.mnc003.mcc204.gprs', 'carrier-c'],
    ['mms.mnc004.mcc204.gprs', 'carrier-d'],
  ]);
  const enumLookup = new EnumPortability({
    apex: 'e164enum.net',
    resolve: (d) => client.resolve(d),
    networkOf: (d) => domains.get(d),
    log,
  });
  t.strictSame(await enumLookup.lookup(PORTED), { network: 'carrier-c', source: 'enum' });
  t.strictSame(await enumLookup.lookup('+31611111111'), { network: 'home', source: 'enum' });
  t.equal(await enumLookup.lookup('+31622222222'), undefined, 'a domain of no known network: no answer');
  t.equal(await enumLookup.lookup('+31633333333'), undefined, 'hostile records: no answer');
  t.equal(await enumLookup.lookup('+31644444444'), undefined, 'no record');
  await t.rejects(enumLookup.lookup('+31655555555'), /EBADRESP/, 'a malformed answer is an error (the cache falls back to prefixes)');
  t.equal(await enumLookup.lookup('not-a-number'), undefined, 'not a number: not even asked');
  t.notOk(
    dns.queries.some((q) => !q.name.endsWith('.e164enum.net')),
    'every query under the apex',
  );
});
