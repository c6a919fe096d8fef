// The lookup the configuration builds (src/ops/portability.ts): file table, then the store's table, then ENUM
// over real DNS on loopback (test/helpers/dns-server.ts), behind one cache, each lookup counted in
// mmsc_portability_lookups_total; a DNS server that never answers costs a message timeoutMs, no more.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { ConfigSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { buildPortability } from '../../src/ops/portability.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { type DnsReply, dnsServer } from '../helpers/dns-server.js';

const log = pino({ level: 'silent' });
const OWN = 'mms.mnc001.mcc204.gprs';
const C_DOMAIN = 'mms.mnc003.mcc204.gprs';

function enumAnswer(domain: string): DnsReply {
  return {
    records: [{ order: 10, preference: 10, flags: 'u', service: 'E2U+mms:mailto', regexp: `!^(.*)$!mailto:\\1@${domain}!` }],
  };
}

async function outcomes(metrics: Metrics): Promise<Record<string, number>> {
  const m = await metrics.portabilityLookups.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.outcome), v.value]));
}

async function build(t: Test, handler: (name: string) => DnsReply, portability: Record<string, unknown> = {}) {
  const dns = await dnsServer(t, (q) => handler(q.name));
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-np-'));
  const file = join(dir, 'ported.json');
  writeFileSync(file, JSON.stringify({ '+31611111111': 'carrier-b' }));
  const store = createMemoryStore();
  await store.porting.set('+31622222222', 'home');
  await store.porting.set('+31611111111', 'carrier-c');
  const metrics = new Metrics();
  const config = ConfigSchema.parse({
    portability: { file, redis: true, enumEnabled: true, enumApex: 'e164enum.net', enumServers: [dns.address], ...portability },
  }).portability;
  const p = buildPortability(config, {
    table: store.porting,
    homeDomains: [OWN],
    peers: [{ id: 'carrier-b' }, { id: 'carrier-c', domain: C_DOMAIN }],
    metrics,
    log,
  });
  return { p: p!, dns, metrics };
}

t.test('file, then the store, then ENUM; each answer counted', async (t) => {
  const { p, dns, metrics } = await build(t, (name) =>
    name.startsWith('3.3.3') ? enumAnswer(C_DOMAIN) : name.startsWith('4.4.4') ? enumAnswer(OWN) : { rcode: 3 },
  );
  t.strictSame(await p.lookup('+31611111111'), { network: 'carrier-b', source: 'file' }, 'the file before the store');
  t.strictSame(await p.lookup('+31622222222'), { network: 'home', source: 'store' });
  t.strictSame(await p.lookup('+31633333333'), { network: 'carrier-c', source: 'enum' }, "by the peer's MMS domain");
  t.strictSame(await p.lookup('+31644444444'), { network: 'home', source: 'enum' }, 'one of mm4.domains');
  t.equal(await p.lookup('+31655555555'), undefined, 'NXDOMAIN: not ported');
  t.equal(await p.lookup('+31655555555'), undefined);
  t.strictSame(
    dns.queries.map((q) => q.name),
    ['3.3.3.3.3.3.3.3.6.1.3.e164enum.net', '4.4.4.4.4.4.4.4.6.1.3.e164enum.net', '5.5.5.5.5.5.5.5.6.1.3.e164enum.net'],
    'DNS asked only when the tables do not know, and once per number',
  );
  t.strictSame(await outcomes(metrics), { ported: 4, none: 1, cached: 1 });
});

t.test('a silent DNS server: the lookup gives up at timeoutMs and counts a timeout', async (t) => {
  const { p, metrics } = await build(t, () => ({ drop: true }), { timeoutMs: 200 });
  const start = Date.now();
  t.equal(await p.lookup('+31677777777'), undefined, 'routed by prefix');
  const waited = Date.now() - start;
  t.ok(waited >= 150 && waited < 2_000, `waited about timeoutMs (${waited} ms)`);
  t.equal((await outcomes(metrics)).timeout, 1);
});

t.test('nothing configured: no lookup at all', async (t) => {
  const p = buildPortability(ConfigSchema.parse({}).portability, {
    table: createMemoryStore().porting,
    homeDomains: [],
    peers: [],
    metrics: new Metrics(),
    log,
  });
  t.equal(p, undefined);
});
