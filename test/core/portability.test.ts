// Number portability's cached composition (core/portability.ts): sources in order, answers and "not ported"
// kept for their TTLs in a bounded LRU, failures and unknown networks not kept and falling back, a slow
// source cut at the timeout (its late answer still cached), concurrent lookups sharing one trip; the intake
// step recording networks on a message; and the file table's two formats.
import { pino } from 'pino';
import t from 'tap';
import {
  CachedPortability,
  type CachedPortabilityOptions,
  HOME_NETWORK,
  type LookupOutcome,
  type NumberPortability,
  type PortingAnswer,
  mapSource,
  recordNetworks,
} from '../../src/core/portability.js';
import { parsePortingTable } from '../../src/core/portability-file.js';
import { LEVEL, captureLog } from '../helpers/log-capture.js';
import { textMessage } from '../helpers/messages.js';
import { until } from '../helpers/until.js';

const log = pino({ level: 'silent' });
const A = '+31612345678';
const B = '+31687654321';

/** A source answering from `table`, counting its calls; `fail`/`hang` make it throw or never answer. */
function source(table: Record<string, string>, o: { fail?: boolean; hang?: boolean; name?: string } = {}) {
  const s = {
    calls: [] as string[],
    release: undefined as (() => void) | undefined,
    async lookup(e164: string): Promise<PortingAnswer | undefined> {
      s.calls.push(e164);
      if (o.hang) await new Promise<void>((resolve) => (s.release = resolve));
      if (o.fail) throw new Error('down');
      const network = table[e164];
      return network === undefined ? undefined : { network, source: o.name ?? 'test' };
    },
  };
  return s;
}

function cached(sources: NumberPortability[], o: Partial<CachedPortabilityOptions> = {}) {
  const outcomes: LookupOutcome[] = [];
  let clock = 1_000_000;
  const p = new CachedPortability({
    sources,
    known: (n) => n === HOME_NETWORK || n === 'carrier-b' || n === 'carrier-c',
    ttlMs: 60_000,
    negativeTtlMs: 5_000,
    maxEntries: 100,
    timeoutMs: 2_000,
    log,
    observe: (x) => outcomes.push(x),
    now: () => clock,
    ...o,
  });
  return { p, outcomes, advance: (ms: number) => (clock += ms) };
}

t.test('the first source that knows the number answers; the static table before ENUM', async (t) => {
  const file = source({ [A]: 'carrier-c' }, { name: 'file' });
  const enumSrc = source({ [A]: 'carrier-b', [B]: HOME_NETWORK }, { name: 'enum' });
  const { p, outcomes } = cached([file, enumSrc]);
  t.strictSame(await p.lookup(A), { network: 'carrier-c', source: 'file' });
  t.strictSame(enumSrc.calls, [], 'ENUM not asked when the table knows');
  t.strictSame(await p.lookup(B), { network: HOME_NETWORK, source: 'enum' });
  t.equal(await p.lookup('+31600000000'), undefined);
  t.strictSame(outcomes, ['ported', 'ported', 'none']);
});

t.test('answers are kept for ttlMs, "not ported" for negativeTtlMs', async (t) => {
  const s = source({ [A]: 'carrier-c' });
  const { p, outcomes, advance } = cached([s]);
  await p.lookup(A);
  await p.lookup(B);
  await p.lookup(A);
  await p.lookup(B);
  t.strictSame(s.calls, [A, B], 'both from the cache the second time');
  advance(5_001);
  await p.lookup(A);
  await p.lookup(B);
  t.strictSame(s.calls, [A, B, B], 'the negative entry expired, the positive one not');
  advance(60_000);
  t.strictSame(await p.lookup(A), { network: 'carrier-c', source: 'test' });
  t.strictSame(s.calls, [A, B, B, A]);
  t.strictSame(outcomes, ['ported', 'none', 'cached', 'cached', 'cached', 'none', 'ported']);
});

t.test('a failing source is logged and skipped; what follows a failure is not kept', async (t) => {
  const down = source({}, { fail: true });
  const next = source({ [A]: 'carrier-b' });
  const { p, outcomes } = cached([down, next]);
  t.strictSame(await p.lookup(A), { network: 'carrier-b', source: 'test' }, 'the next source answers');
  t.equal(await p.lookup(B), undefined, 'nobody knows: prefixes');
  await p.lookup(A);
  await p.lookup(B);
  t.strictSame(down.calls, [A, B, A, B], 'asked again each time: nothing was cached');
  t.equal(p.size, 0);
  t.strictSame(outcomes, ['error', 'ported', 'error', 'error', 'ported', 'error']);
});

t.test('a source failing under load: one warning per 10 s, with the count left out; every failure counted', async (t) => {
  const capture = captureLog('warn');
  const { p, outcomes, advance } = cached([source({}, { fail: true })], { log: capture.log });
  for (let i = 0; i < 50; i++) await p.lookup(A);
  t.equal(outcomes.length, 50, 'the metric sees each');
  t.equal(capture.lines.filter((l) => l.level === LEVEL.warn).length, 1, 'one line');
  advance(10_000);
  await p.lookup(A);
  t.equal(capture.lines.length, 2);
  t.match(capture.lines[1], { msg: /a source failed/, err: { type: 'Error', message: 'down' }, unlogged: 49 });
});

t.test('an answer naming a network routing does not know is not used', async (t) => {
  const bad = source({ [A]: 'carrier-x' });
  const next = source({ [A]: 'carrier-c' });
  const { p, outcomes } = cached([bad, next]);
  t.strictSame(await p.lookup(A), { network: 'carrier-c', source: 'test' });
  t.strictSame(outcomes, ['unknown-network', 'ported']);
  const alone = cached([source({ [A]: 'carrier-x' })]);
  t.equal(await alone.p.lookup(A), undefined);
  t.strictSame(alone.outcomes, ['unknown-network']);
});

t.test('a source slower than timeoutMs: the caller gets undefined in time; the late answer is cached', async (t) => {
  const slow = source({ [A]: 'carrier-c' }, { hang: true });
  const { p, outcomes } = cached([slow], { timeoutMs: 50 });
  const start = Date.now();
  t.equal(await p.lookup(A), undefined, 'prefixes');
  t.ok(Date.now() - start < 1_500, 'not held beyond the timeout (by much)');
  t.strictSame(outcomes, ['timeout']);
  slow.release?.();
  await until('the late answer cached', () => p.size === 1);
  t.strictSame(await p.lookup(A), { network: 'carrier-c', source: 'test' });
  t.strictSame(slow.calls, [A], 'answered from the cache');
});

t.test('concurrent lookups of one number share one trip to the sources', async (t) => {
  const slow = source({ [A]: 'carrier-c' }, { hang: true });
  const { p } = cached([slow]);
  const all = Promise.all([p.lookup(A), p.lookup(A), p.lookup(A)]);
  await until('the source asked', () => slow.release);
  slow.release?.();
  const answers = await all;
  t.strictSame(
    answers.map((a) => a?.network),
    ['carrier-c', 'carrier-c', 'carrier-c'],
  );
  t.strictSame(slow.calls, [A]);
});

t.test('the cache holds maxEntries at most, dropping the least recently used', async (t) => {
  const s = source({});
  const { p } = cached([s], { maxEntries: 3 });
  const n = (i: number) => `+3161000000${i}`;
  for (const i of [1, 2, 3]) await p.lookup(n(i));
  await p.lookup(n(1)); // 1 used last: 2 is now the oldest
  await p.lookup(n(4));
  t.equal(p.size, 3);
  s.calls.length = 0;
  await p.lookup(n(1));
  await p.lookup(n(3));
  await p.lookup(n(4));
  t.strictSame(s.calls, [], '1, 3 and 4 kept');
  await p.lookup(n(2));
  t.strictSame(s.calls, [n(2)], '2 was dropped');
  for (let i = 0; i < 1000; i++) await p.lookup(`+3162${String(i).padStart(7, '0')}`);
  t.equal(p.size, 3, 'still bounded');
  const none = cached([s], { maxEntries: 0 });
  await none.p.lookup(A);
  t.equal(none.p.size, 0, 'maxEntries 0: no cache');
});

t.test('recordNetworks: plmn recipients of a new message, each number once; reports and answered ones untouched', async (t) => {
  const calls: string[] = [];
  const p: NumberPortability = {
    lookup: async (n) => {
      calls.push(n);
      return n === A ? { network: 'carrier-c', source: 'x' } : n === B ? { network: HOME_NETWORK, source: 'x' } : undefined;
    },
  };
  const step = recordNetworks(p);
  const m = textMessage('m1', 0, 0, {
    recipients: [
      { address: A, type: 'plmn', kind: 'to' },
      { address: B, type: 'plmn', kind: 'cc' },
      { address: A, type: 'plmn', kind: 'bcc' },
      { address: '+15550000000', type: 'plmn', kind: 'to' },
      { address: '12345', type: 'shortcode', kind: 'to' },
      { address: '+31611111111', type: 'plmn', kind: 'to', network: 'carrier-b' },
    ],
  });
  const out = await step(m);
  t.strictSame(
    out.recipients.map((r) => r.network),
    ['carrier-c', HOME_NETWORK, 'carrier-c', undefined, undefined, 'carrier-b'],
  );
  t.strictSame(calls.sort(), [A, B, '+15550000000'].sort(), 'each number once; short codes and answered ones not asked');
  t.equal(m.recipients[0]?.network, undefined, 'the message given is not changed');
  const report = {
    ...m,
    report: { kind: 'delivery' as const, messageId: 'x', recipientIndex: 0, to: m.origin, status: 'delivered' as const, at: 0 },
  };
  calls.length = 0;
  t.equal(await step(report), report, 'a report is not looked up');
  t.strictSame(calls, []);
  const failing = recordNetworks({ lookup: () => Promise.reject(new Error('x')) });
  t.equal((await failing(m)).recipients[0]?.network, undefined, 'a failing lookup changes nothing');
  const fromMap = recordNetworks(mapSource('file', new Map([[A, 'carrier-b']])));
  t.equal((await fromMap(m)).recipients[0]?.network, 'carrier-b');
});

t.test('parsePortingTable: CSV and JSON, errors naming the line or key', async (t) => {
  const csv = '# exported 2026-12-01\nnumber,network\n+31612345678, carrier-c\n\n+31687654321,home\r\n';
  t.strictSame(
    [...parsePortingTable(csv, 'csv')],
    [
      [A, 'carrier-c'],
      [B, 'home'],
    ],
  );
  t.strictSame([...parsePortingTable(`{"${A}":"carrier-c"}`, 'json')], [[A, 'carrier-c']]);
  t.throws(() => parsePortingTable('+31612345678,carrier-c\n0612345678,home\n', 'csv'), /line 2: "0612345678" is not a \+E\.164 number/);
  t.throws(() => parsePortingTable('+31612345678\n', 'csv'), /line 1: expected number,network/);
  t.throws(() => parsePortingTable('+31612345678,a,b\n', 'csv'), /line 1/);
  t.throws(() => parsePortingTable('+31612345678,bad id\n', 'csv'), /not a network id/);
  t.throws(() => parsePortingTable(`${A},x\n${A},y\n`, 'csv'), /line 2: \+31612345678 is listed twice/);
  t.throws(() => parsePortingTable('[1]', 'json'), /expected a JSON object/);
  t.throws(() => parsePortingTable('{', 'json'), /not JSON/);
  t.throws(() => parsePortingTable(`{"${A}": 3}`, 'json'), /\+31612345678: the network must be a string/);
  t.throws(() => parsePortingTable('{"x": "home"}', 'json'), /"x" is not a \+E\.164 number/);
});
