/**
 * Traffic on every interface of a real `mmsc serve` (the built CLI, the embedded store), then a scrape of its
 * /metrics for promtool (conformance/ops/run.sh): a VASP's MM7 SubmitReq and REST submission, a handset's
 * m-send-req (MM1), each to a local subscriber who is notified by WAP push over SMPP (the test suite's SMSC
 * simulator, test/helpers/smsc.ts), fetches and acknowledges; an MO short message over SMPP; an
 * MM4_forward.REQ over SMTP from a peer carrier (the hand-written vector of conformance/vectors/mm4). Checks
 * that the new metrics saw it (end-to-end latency per interface, per-peer outcomes, SMSC link state) and
 * that no label value carries a phone number or a Message-ID. Writes the scrape to METRICS_OUT. Prints one
 * `ok` / `FAIL` line per check and `N passed, M failed`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { MmsPdu, SendReq } from '../../protocols/mms/index.js';
import { Handset } from '../../test/helpers/handset.js';
import { mm7SubmitReq } from '../../test/helpers/mm7-request.js';
import { startSmsc } from '../../test/helpers/smsc.js';

const A = '+15550000001';
const B = '+15550000002';
const REMOTE = '+15559998888';
const DOMAIN = 'mms.mnc001.mcc001.gprs';
const PEER_DOMAIN = 'mms.mnc002.mcc001.gprs';
const VASP = { id: 'shop', username: 'shop', password: 'pw-shop', senders: ['7050'] };
const TEXT = Buffer.from('ops conformance');

const lines: { ok: boolean; what: string }[] = [];
const check = (ok: boolean, what: string) => lines.push({ ok, what });

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const smsc = await startSmsc({ systemId: 'mmsc', password: 'secret' });
const dir = mkdtempSync(join(tmpdir(), 'ops-conformance-'));
const config = {
  ops: { host: '127.0.0.1', port: 0 },
  mm1: { host: '127.0.0.1', port: 0, localPrefixes: ['+1555000'], tokenSecret: 'ops-conformance-token-secret-0123456789' },
  mm7: { host: '127.0.0.1', port: 0, vasps: [VASP] },
  mm4: { enabled: true, host: '127.0.0.1', port: 0, domains: [DOMAIN], peers: [{ id: 'carrier-b', allow: ['127.0.0.1/32'] }] },
  smpp: { smscs: [{ id: 'sim', host: '127.0.0.1', port: smsc.port, systemId: 'mmsc', password: 'secret', sourceAddr: '7050' }] },
};
writeFileSync(join(dir, 'mmsc.json'), JSON.stringify(config));
const env = { ...process.env };
delete env.REDIS_URL;
const gw = spawn(process.execPath, ['bin/mmsc', 'serve', '--config', join(dir, 'mmsc.json')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let log = '';
gw.stdout.on('data', (c: Buffer) => (out += c.toString()));
gw.stderr.on('data', (c: Buffer) => (log += c.toString()));
const listener = (iface: string) => new RegExp(`^${iface} +listening on (\\S+)(?: \\(.*\\))?$`, 'm').exec(out)?.[1];

try {
  await until('the listener lines', () => (listener('ops') && listener('mm1') && listener('mm7') && listener('mm4') ? true : undefined));
  const ops = listener('ops')!;
  const mm1 = listener('mm1')!;
  const mm7 = listener('mm7')!;
  await until('ready', async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined));
  await until('bound to the SMSC', async () =>
    /mmsc_smpp_bound\{smsc="sim"[^}]*\} 1/.test(await (await fetch(`${ops}/metrics`)).text()) ? true : undefined,
  );
  check(true, `mmsc serve up: ops ${ops}, mm1 ${mm1}, mm7 ${mm7}, bound to the SMSC`);
  const a = new Handset(A, mm1);
  const b = new Handset(B, mm1);
  const auth = `Basic ${Buffer.from(`${VASP.username}:${VASP.password}`).toString('base64')}`;

  // MM7: SubmitReq to B.
  const req = mm7SubmitReq({
    vasp: VASP.id,
    shortCode: '7050',
    to: [B],
    subject: 'mm7',
    parts: [{ type: 'text/plain', name: 't.txt', body: TEXT }],
  });
  const soap = await (
    await fetch(mm7, { method: 'POST', body: new Uint8Array(req.body), headers: { 'content-type': req.contentType, authorization: auth } })
  ).text();
  check(/<(\w+:)?StatusCode>1000</.test(soap), 'MM7 SubmitReq accepted (1000)');

  // REST: a form submission to B.
  const form = new FormData();
  form.append('from', '7050');
  form.append('to', B);
  form.append('text', new Blob([TEXT], { type: 'text/plain' }), 't.txt');
  const rest = await fetch(`${mm7.replace(/\/$/, '')}/v1/messages`, { method: 'POST', body: form, headers: { authorization: auth } });
  check(rest.status === 202, `REST submission accepted (${rest.status})`);

  // MM1: A sends to B.
  const send: SendReq = {
    messageType: 'm-send-req',
    transactionId: 'ops-1',
    mmsVersion: '1.2',
    from: { insertAddress: true },
    to: [`${B}/TYPE=PLMN`],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed' },
    parts: [{ contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, data: TEXT }],
  };
  const sent = await a.post(send);
  check(
    sent.pdu?.messageType === 'm-send-conf' && sent.pdu.responseStatus === 'Ok',
    `MM1 m-send-req accepted (${JSON.stringify(sent.pdu?.messageType)})`,
  );

  // B is notified of the three, fetches and acknowledges each: every one ends delivered.
  const notes = await until('three notifications pushed to B over SMPP', () => {
    const n = b
      .pushes(smsc)
      .filter((p): p is Extract<MmsPdu, { messageType: 'm-notification-ind' }> => p.messageType === 'm-notification-ind');
    return n.length >= 3 ? n : undefined;
  });
  let acked = 0;
  for (const n of notes) {
    const conf = (await b.retrieve(n.contentLocation)).pdu;
    if (conf?.messageType !== 'm-retrieve-conf') continue;
    const ack = await b.post({ messageType: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' });
    if (ack.status === 204) acked++;
  }
  check(acked === 3, `B fetched and acknowledged ${acked} of 3`);

  // SMPP: an MO short message from A to the short code.
  await smsc.sendMo({ sourceAddr: A.slice(1), destinationAddr: '7050', octets: Buffer.from('HELP') });

  // MM4: a peer carrier forwards the hand-written MM4_forward.REQ to a local subscriber.
  const mail = createTransport({
    host: '127.0.0.1',
    port: Number(new URL(listener('mm4')!).port),
    secure: false,
    ignoreTLS: true,
    name: PEER_DOMAIN,
  });
  try {
    const info = await mail.sendMail({
      envelope: { from: `${REMOTE}/TYPE=PLMN@${PEER_DOMAIN}`, to: [`+15550001234/TYPE=PLMN@${DOMAIN}`] },
      raw: readFileSync('conformance/vectors/mm4/hand-written/mm4-forward-req.eml'),
    });
    check(/^250 /.test(info.response), `MM4_forward.REQ accepted (${info.response})`);
  } catch (err) {
    check(false, `MM4_forward.REQ: ${(err as Error).message}`);
  } finally {
    mail.close();
  }

  const metrics = await until('the final states and the MO in the scrape', async () => {
    const text = await (await fetch(`${ops}/metrics`)).text();
    const done = ['mm7', 'rest', 'mm1'].every((i) =>
      new RegExp(`mmsc_message_end_to_end_duration_seconds_count\\{[^}]*interface="${i}"`).test(text),
    );
    return done && /mmsc_smpp_mo_total\{/.test(text) && /mmsc_mm4_messages_total\{/.test(text) ? text : undefined;
  });
  writeFileSync(process.env.METRICS_OUT ?? join(dir, 'metrics.txt'), metrics);
  for (const iface of ['mm7', 'rest', 'mm1']) {
    const re = new RegExp(`mmsc_message_end_to_end_duration_seconds_count\\{[^}]*interface="${iface}",state="delivered"[^}]*\\} (\\d+)`);
    check(Number(re.exec(metrics)?.[1]) >= 1, `end-to-end latency observed: ${iface} -> delivered`);
  }
  check(
    /mmsc_origin_final_states_total\{interface="mm7",origin="shop",state="delivered"[^}]*\} 1/.test(metrics),
    'per-VASP final states: shop over MM7',
  );
  check(
    /mmsc_origin_final_states_total\{interface="mm1",origin="subscriber",state="delivered"[^}]*\} 1/.test(metrics),
    'per-sender final states: a handset as subscriber',
  );
  check(
    /mmsc_queue_outcomes_total\{peer="mm1:notify",state="notified"[^}]*\} [1-9]/.test(metrics),
    'per-peer outcomes: mm1:notify notified',
  );
  check(/mmsc_smpp_bound\{smsc="sim"[^}]*\} 1/.test(metrics), 'SMSC link state: sim bound');
  check(/mmsc_store_durable\{backend="memory"[^}]*\} 0/.test(metrics), 'store durability: embedded, 0');
  check(/mmsc_throttle_wait_seconds_count\{[^}]*peer="mm1:notify"[^}]*\} [1-9]/.test(metrics), 'throttle waits: mm1:notify');
  check(
    /mmsc_throttle_wait_seconds_count\{[^}]*peer="mm1-sub"[^}]*\} [1-9]/.test(metrics),
    'throttle waits: a subscriber counted as mm1-sub',
  );
  // No label value may carry a subscriber's number (with or without +) or a Message-ID the traffic made.
  const labels = [...metrics.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).join('\n');
  const numbers = [A, B, REMOTE, '+15550001234'].flatMap((n) => [n, n.slice(1)]);
  const leaked = numbers.filter((n) => labels.includes(n));
  check(leaked.length === 0, `no phone number in any label value${leaked.length ? ` (found ${leaked.join(', ')})` : ''}`);
  const ids = [...log.matchAll(/"messageId":"([^"]+)"/g)].map((m) => m[1]!);
  const idLeaks = ids.filter((id) => labels.includes(id));
  check(ids.length > 0 && idLeaks.length === 0, `no Message-ID in any label value (${ids.length} ids in the log checked)`);
} catch (err) {
  check(false, `traffic could not run: ${(err as Error).message}`);
  process.stderr.write(log.split('\n').slice(-20).join('\n'));
} finally {
  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));
  await smsc.stop();
  if (!process.env.OPS_CONFORMANCE_KEEP) rmSync(dir, { recursive: true, force: true });
}
for (const l of lines) console.log(`${l.ok ? 'ok' : 'FAIL'} ${l.what}`);
const passed = lines.filter((l) => l.ok).length;
console.log(`${passed} passed, ${lines.length - passed} failed`);
process.exitCode = passed === lines.length ? 0 : 1;
