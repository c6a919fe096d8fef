// `mmsc handset` (the built command, a process per action) against a real gateway (in this process, embedded
// store, the SMSC simulator as push bearer): send, fetch with acknowledgement, read report, as the subscriber
// named by --msisdn (the x-msisdn header from a trusted loopback proxy).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { mmscInProcess } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { Handset } from '../helpers/handset.js';
import { pngOf } from '../helpers/media.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { startSmsc } from '../helpers/smsc.js';
import { until } from '../helpers/until.js';

const run = promisify(execFile);
const A = '+15550000001';
const B = '+15550000002';
/** A real PNG of 4,000 bytes (every part's bytes are checked against its type: issue 25). */
const PICTURE = pngOf(4000, (b) => b.forEach((_, i) => (b[i] = (i * 13 + 5) & 0xff)));

async function gateway(t: Test) {
  const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
  t.teardown(() => smsc.stop());
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { port: await freePort(), tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'] },
    smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000' }] },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  await until('bound', () => gw.smpp!.clients[0]!.bound);
  return { smsc, gw, mm1: listeners.find((l) => l.iface === 'mm1')!.address };
}

const handset = (mm1: string, msisdn: string, ...args: string[]) =>
  run(process.execPath, [MMSC_BIN, 'handset', '--gateway', mm1, '--msisdn', msisdn, ...args], { cwd: ROOT });

t.test('mmsc handset: send, fetch --ack, read-report against a gateway', async (t) => {
  const { smsc, gw, mm1 } = await gateway(t);
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-handset-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'boat.png');
  writeFileSync(file, PICTURE);

  const sent = await handset(mm1, A, 'send', file, '--to', B, '--subject', 'Boat', '--read-report');
  const conf = JSON.parse(sent.stdout) as { messageType: string; responseStatus: string; messageId: string };
  t.equal(conf.messageType, 'm-send-conf', 'send prints the m-send-conf');
  t.equal(conf.responseStatus, 'Ok');
  const id = conf.messageId;

  const n = await until('the notification to B', () =>
    new Handset(B, mm1).pushes(smsc).find((p) => p.messageType === 'm-notification-ind'),
  );
  if (n.messageType !== 'm-notification-ind') throw new Error('unreachable');
  const fetched = await handset(mm1, B, 'fetch', n.contentLocation, '--ack', '--data');
  const ackLine = fetched.stdout.trimEnd().split('\n').pop();
  t.equal(ackLine, 'm-acknowledge-ind: HTTP 204', 'fetch --ack acknowledges');
  const retrieved = JSON.parse(fetched.stdout.slice(0, fetched.stdout.lastIndexOf(ackLine!))) as {
    messageType: string;
    messageId: string;
    from: string;
    subject: string;
    parts: Array<{ contentType: string; dataBase64: string }>;
  };
  t.equal(retrieved.messageType, 'm-retrieve-conf', 'fetch prints the m-retrieve-conf');
  t.equal(retrieved.messageId, id, 'of the message A sent');
  t.equal(retrieved.from, `${A}/TYPE=PLMN`, 'from A');
  t.equal(retrieved.subject, 'Boat');
  t.same(
    retrieved.parts.map((p) => [p.contentType, Buffer.from(p.dataBase64, 'base64').equals(PICTURE)]),
    [['image/png', true]],
    'the picture, by its extension, whole',
  );
  t.same(await gw.store.queue.states(id), ['delivered'], 'B has it: delivered');

  const rr = await handset(mm1, B, 'read-report', id, '--to', A);
  t.equal(rr.stdout.trim(), 'm-read-rec-ind: HTTP 204', 'read-report is taken');
  const ro = await until('the m-read-orig-ind pushed to A', () =>
    new Handset(A, mm1).pushes(smsc).find((p) => p.messageType === 'm-read-orig-ind'),
  );
  t.equal(ro.messageId, id, 'A is told B read it');
  t.equal(ro.from, `${B}/TYPE=PLMN`);
});

// In this process (main(), what bin/mmsc runs): the first test spawns the command already.
t.test('mmsc handset: a text, ack by transaction id, usage errors, a stranger refused', async (t) => {
  const handset = async (mm1: string, msisdn: string, ...args: string[]) => {
    const r = await mmscInProcess(['handset', '--gateway', mm1, '--msisdn', msisdn, ...args]);
    if (r.code !== 0) throw Object.assign(new Error(`exit ${r.code}`), r);
    return r;
  };
  const { smsc, mm1 } = await gateway(t);
  const sent = await handset(mm1, A, 'send', '--text', 'Lunch?', '--to', B);
  t.equal((JSON.parse(sent.stdout) as { responseStatus: string }).responseStatus, 'Ok', 'send --text');
  const n = await until('the notification to B', () =>
    new Handset(B, mm1).pushes(smsc).find((p) => p.messageType === 'm-notification-ind'),
  );
  if (n.messageType !== 'm-notification-ind') throw new Error('unreachable');
  const fetched = await handset(mm1, B, 'fetch', n.contentLocation);
  const conf = JSON.parse(fetched.stdout) as { transactionId: string; parts: Array<{ contentType: string; size: number }> };
  t.equal(conf.parts.length, 1, 'one part');
  t.match(conf.parts[0]!.contentType, /^text\/plain\b/, 'the text');
  t.equal(conf.parts[0]!.size, Buffer.byteLength('Lunch?'), 'whole');
  const ack = await handset(mm1, B, 'ack', conf.transactionId);
  t.equal(ack.stdout.trim(), 'm-acknowledge-ind: HTTP 204', 'ack TRANSACTION-ID');

  const wrong = await handset(mm1, 'not-a-number', 'fetch', n.contentLocation).catch((e: { code: number; stderr: string }) => e);
  t.equal((wrong as { code: number }).code, 1, 'a malformed --msisdn is a usage error');
  t.match((wrong as { stderr: string }).stderr, /--msisdn takes a \+E\.164 number/);
  const stranger = await handset(mm1, '+15550000009', 'fetch', n.contentLocation).catch((e: { code: number; stderr: string }) => e);
  t.equal((stranger as { code: number }).code, 1, "another subscriber cannot fetch B's message");
  t.match((stranger as { stderr: string }).stderr, /fetch answered HTTP 4\d\d/);
});
