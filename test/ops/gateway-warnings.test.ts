// Configurations that start but cannot do their job are named once at start, in the log, with the keys to
// look at: MM1 on with WAP push over SMPP but no SMSC (and no PPG), or local ranges no SMSC serves.
import t from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { captureLog, LEVEL } from '../helpers/log-capture.js';

async function startLog(config: Record<string, unknown>) {
  const cap = captureLog('debug');
  const gw = new Gateway(
    ConfigSchema.parse({ ops: { port: 0 }, mm7: { enabled: false }, ...config, mm1: { port: 0, ...(config.mm1 as object) } }),
    cap.log,
  );
  await gw.start();
  await gw.whenReady();
  await gw.stop();
  return cap.lines;
}

const pushWarnings = (lines: { level: number; msg: string }[]) =>
  lines.filter((l) => l.level === LEVEL.warn && /WAP push|SMSC serves/.test(l.msg));

t.test('no SMSC and no PPG while MM1 notifies local subscribers: one warning at start', async (t) => {
  const warned = pushWarnings(await startLog({ mm1: { localPrefixes: ['+1555'] } }));
  t.equal(warned.length, 1, 'once');
  t.match(warned[0], { keys: ['mm1.push', 'smpp.smscs', 'mm1.papUrl'], msg: /smpp\.smscs is empty/ });
});

t.test('an SMSC that serves only other ranges: the unserved local range is named', async (t) => {
  const warned = pushWarnings(
    await startLog({
      mm1: { localPrefixes: ['+1555', '+4420'] },
      // Never bound: the store is embedded and ready at once, but nothing listens on port 1 (loopback).
      smpp: { smscs: [{ id: 'us', host: '127.0.0.1', port: 1, systemId: 'a', prefixes: ['+1'] }] },
    }),
  );
  t.equal(warned.length, 1);
  t.match(warned[0], { unserved: ['+4420'] });
});

t.test('no warning when a bearer is there: a PPG, an SMSC for every number, or MM1 off', async (t) => {
  t.same(pushWarnings(await startLog({ mm1: { push: 'pap', papUrl: 'http://127.0.0.1:1/pap' } })), []);
  t.same(pushWarnings(await startLog({ mm1: {}, smpp: { smscs: [{ id: 'any', host: '127.0.0.1', port: 1, systemId: 'a' }] } })), []);
  t.same(pushWarnings(await startLog({ mm1: { enabled: false } })), []);
});
