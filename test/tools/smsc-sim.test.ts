// `mmsc smsc-sim` (the built command, in a process of its own) as an integrator's SMSC: a gateway binds to it,
// and each submit_sm it acknowledges is printed decoded: a WAP push as the MMS notification's fields, an SMS
// as its text.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pino } from 'pino';
import t from 'tap';
import type { SendReq } from '../../protocols/mms/index.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { freePort } from '../helpers/free-port.js';
import { Handset } from '../helpers/handset.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { until } from '../helpers/until.js';

const A = '+15550000001';
const B = '+15550000002';
const TEXT_ONLY = '+15550000003';
const PUBLIC = 'http://mmsc.operator.test/mms';

const sendReq = (to: string, transactionId: string): SendReq => ({
  messageType: 'm-send-req',
  transactionId,
  mmsVersion: '1.2',
  from: { insertAddress: true },
  to: [`${to}/TYPE=PLMN`],
  subject: 'Harbour',
  contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
  parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('Boats at dawn') }],
});

t.test('a gateway binds to mmsc smsc-sim, which prints each push decoded and each SMS as text', async (t) => {
  const port = await freePort();
  const args = ['smsc-sim', '--port', String(port), '--system-id', 'mmsc', '--password', 'secret', '--receipts', 'text'];
  const sim = spawn(process.execPath, [MMSC_BIN, ...args], { cwd: ROOT });
  let out = '';
  sim.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = once(sim, 'exit');
  t.teardown(() => {
    if (sim.exitCode === null) sim.kill('SIGKILL');
  });
  await until('the listening line', () => out.includes(`smsc-sim listening on smpp://127.0.0.1:${port}`), 15_000);

  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { port: 0, publicUrl: PUBLIC, tokenSecret: 'test-secret-0123456789', localPrefixes: ['+1555'] },
    smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port, systemId: 'mmsc', password: 'secret', sourceAddr: '6000' }] },
  });
  const gw = new Gateway(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  const listeners = await gw.start();
  t.teardown(() => gw.stop());
  await gw.whenReady();
  await until('bound', () => gw.smpp!.clients[0]!.bound);
  t.match(out, /^bind_transceiver system_id=mmsc: bound$/m, 'the bind is printed');
  const mm1 = listeners.find((l) => l.iface === 'mm1')!.address;

  const sent = await new Handset(A, mm1).post(sendReq(B, 'tx-sim-1'));
  t.equal(sent.pdu?.responseStatus, 'Ok', 'A sent an MMS to B');
  const [, smscId, line] = await until(
    'the push printed',
    () => new RegExp(`^submit_sm (\\w+) push to \\${B}: (\\{.*\\})$`, 'm').exec(out) ?? undefined,
  );
  const status = await until(
    'the receipt printed',
    () => new RegExp(`^deliver_sm receipt for ${smscId}: answered status (\\d+)$`, 'm').exec(out)?.[1],
  );
  t.equal(status, '0', '--receipts: a delivery receipt for the push, taken by the gateway');
  const n = JSON.parse(line!) as Record<string, unknown>;
  t.equal(n.messageType, 'm-notification-ind', 'decoded down to the MMS notification');
  t.equal(n.messageClass, 'Personal', 'with its fields: class');
  t.equal(typeof n.transactionId, 'string', 'transaction id');
  t.equal(typeof n.expiry, 'number', 'expiry');
  t.ok(String(n.contentLocation).startsWith(`${PUBLIC}/`), `and its Content-Location (${n.contentLocation})`);
  t.equal(n.messageSize, 'Boats at dawn'.length, 'and size');

  await gw.store.subscribers.setTextOnly(TEXT_ONLY, true);
  t.equal((await new Handset(A, mm1).post(sendReq(TEXT_ONLY, 'tx-sim-2'))).pdu?.responseStatus, 'Ok');
  const sms = await until(
    'the SMS printed',
    () => new RegExp(`^submit_sm \\w+ sms to \\${TEXT_ONLY} from 6000: (.*)$`, 'm').exec(out)?.[1],
  );
  t.match(sms, /http:\/\/mmsc\.operator\.test\/mms\/m\//, `an SMS with the web-view link, as text (${sms})`);

  sim.kill('SIGINT');
  const [code] = await exited;
  t.equal(code, 0, 'Ctrl-C stops it');
});

t.test('mmsc smsc-sim refuses a bind with the wrong password, and says so', async (t) => {
  const port = await freePort();
  const sim = spawn(process.execPath, [MMSC_BIN, 'smsc-sim', '--port', String(port), '--system-id', 'mmsc', '--password', 'secret'], {
    cwd: ROOT,
  });
  let out = '';
  sim.stdout.on('data', (c: Buffer) => (out += c.toString()));
  t.teardown(() => sim.kill('SIGKILL'));
  await until('the listening line', () => out.includes('smsc-sim listening'), 15_000);
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm7: { enabled: false },
    mm1: { enabled: false },
    smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port, systemId: 'mmsc', password: 'wrong' }] },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  await gw.start();
  t.teardown(() => gw.stop());
  const refused = await until('the refusal printed', () => /^bind_transceiver system_id=mmsc: refused \(status 0x(\w+)\)$/m.exec(out)?.[1]);
  t.equal(refused, 'e', 'ESME_RINVPASWD');
});
