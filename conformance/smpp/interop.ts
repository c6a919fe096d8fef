/**
 * Our SMPP client against peers nobody here wrote: the example SMSC of Debian's libnet-smpp-perl (Net::SMPP's
 * smsc.pl, started by run.sh on localhost:SMSC_PORT) answers our binds, submits and unbinds, and a live loopback
 * capture of that traffic is decoded by tshark (SMPP, GSM SMS user data, WSP, MMSE dissectors), which must show
 * what we sent. The SMSC's own log (SMSC_LOG: one `Received #seq cmd:name` line per PDU it read) is a third view.
 * A check is one line: `ok` or `FAIL`; `note` lines tell what the peer did without judging it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { buildMmsPush, type MmsPush } from '../../protocols/push/index.js';
import { segmentText, userData, type SegmentedText } from '../../protocols/sms/index.js';
import { SmscSchema } from '../../src/ops/config.js';
import { Metrics } from '../../src/ops/metrics.js';
import { SmppClient, type SmppClientOptions, type SubmitResult, type SubmitSm } from '../../src/smpp/client.js';
import { PushSender } from '../../src/smpp/push-sender.js';
import { haveTshark } from '../pdu/tshark.js';
import { wspMmseLines } from '../push/expect.js';

const HOST = '127.0.0.1';
const PORT = Number(process.env.SMSC_PORT ?? 9900);
const SMSC_LOG = process.env.SMSC_LOG;
/** Kept for reading when set: the capture and tshark's text. */
const KEEP_DIR = process.env.SMPP_CONFORMANCE_KEEP;

/** Ours; smsc.pl knows system_id GSMSGW / password secret but checks neither (it binds anyone). */
const SYSTEM_ID = 'mmscgw';
const PASSWORD = 'secret';
const SYSTEM_ID_TXRX = 'mmscgw-txrx';
const PASSWORD_TXRX = 'other';
/** What smsc.pl puts in every bind response. */
const SMSC_SYSTEM_ID = 'GSMSGW';

const SOURCE = '12345';
const RECIPIENT = '+4915123456789';

const SHORT_TEXT = 'Your MMS from +15551234567 is waiting. Reply STOP to opt out.';
const LONG_TEXT =
  'You have a new multimedia message from +15551234567 (Holiday pictures, 48 kB). Your phone could not ' +
  'fetch it, so open http://mmsc.example.net/v/9f3c2a in a browser to see it. It is kept for 3 days. Reply STOP to opt out.';
const TXRX_TEXT = 'Sent over a transmitter session, with a receiver session beside it.';
const TEXT_REF = 0x42;

const NOTIFICATION: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-live-0001',
  mmsVersion: '1.2',
  from: '+15551234567/TYPE=PLMN',
  subject: 'Holiday pictures',
  messageClass: 'Personal',
  messageSize: 48213,
  expiry: 259200,
  contentLocation: 'http://mmsc.example.net/mms/retrieve?id=9f3c2a',
};
const LONG_NOTIFICATION: NotificationInd = {
  ...NOTIFICATION,
  transactionId: 'T-live-0002',
  subject: 'Pictures from the holiday in the mountains, with the whole family and the dog',
  messageSize: 1234567,
  expiry: 604800,
  contentLocation: 'http://mmsc.example.net/mms/retrieve?id=7b01e4',
};
const PUSH_CONCAT_REF = 0x5a;
const PUSH_TID = 0x21;

// ---------------------------------------------------------------------------------------------------------
// Reporting.

let passed = 0;
let failed = 0;
function report(name: string, ok: boolean, detail?: string): void {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
  if (ok) passed++;
  else failed++;
}
const note = (text: string): void => console.log(`note ${text}`);

const errText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Resolves with the value, or rejects after ms. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------
// The client, recording what it submits (so that the capture can be held against the octets sent).

interface Sent {
  label: string;
  sm: SubmitSm;
  result?: SubmitResult;
}

class RecordingClient extends SmppClient {
  readonly sent: Sent[] = [];
  label = '';

  override submit(sm: SubmitSm): Promise<SubmitResult> {
    const entry: Sent = { label: this.label, sm };
    this.sent.push(entry);
    return super.submit(sm).then((r) => {
      entry.result = r;
      return r;
    });
  }
}

const metrics = new Metrics();
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

function newClient(o: Pick<SmppClientOptions, 'id' | 'systemId' | 'password' | 'bindMode'>): RecordingClient {
  return new RecordingClient({
    ...o,
    host: HOST,
    port: PORT,
    window: 10,
    enquireLinkMs: 1000,
    responseTimeoutMs: 5000,
    reconnectMinMs: 60_000, // one attempt: a failed bind is a failure here, not something to retry
    reconnectMaxMs: 60_000,
    log,
    metrics,
  });
}

async function bind(client: SmppClient, name: string): Promise<boolean> {
  const bound = new Promise<void>((resolve) => client.once('bound', () => resolve()));
  client.start();
  try {
    await within(5000, 'bind', bound);
    report(name, client.bound);
    return client.bound;
  } catch (e) {
    report(name, false, errText(e));
    return false;
  }
}

/** submit_sm for each segment of a text (SMPP v3.4 §4.4.1); one check per segment. */
async function submitText(client: RecordingClient, name: string, seg: SegmentedText): Promise<void> {
  const international = RECIPIENT.startsWith('+');
  for (const [i, s] of seg.segments.entries()) {
    const what = `${name}, segment ${i + 1}/${seg.segments.length}`;
    client.label = `${name}#${i + 1}`;
    try {
      const r = await within(
        6000,
        'submit_sm',
        client.submit({
          sourceAddr: SOURCE,
          sourceAddrTon: 1,
          sourceAddrNpi: 1,
          destinationAddr: international ? RECIPIENT.slice(1) : RECIPIENT,
          destAddrTon: international ? 1 : 0,
          destAddrNpi: 1,
          esmClass: s.esmClassUdhi ? 0x40 : 0,
          dataCoding: seg.dataCoding,
          registeredDelivery: 0,
          shortMessage: userData(s),
        }),
      );
      report(`${what}: submit_sm_resp with a message id`, r.messageId !== '', `message_id "${r.messageId}"`);
    } catch (e) {
      report(`${what}: submit_sm_resp with a message id`, false, errText(e));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Live capture with tshark.

interface Capture {
  file: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * tshark on the loopback, only the SMSC port, written to `file`. "Capturing on" (stderr) comes before packets are
 * actually seen, so it is then probed: a SYN to 127.0.0.2:PORT (nothing listens there, the SMSC binds 127.0.0.1
 * only: refused at once, and no SMSC child forks) until tshark prints a packet (-P -l: summaries on stdout while
 * writing the file).
 */
async function startCapture(file: string): Promise<Capture> {
  const child = spawn('tshark', ['-l', '-P', '-i', 'lo', '-f', `tcp port ${PORT}`, '-w', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Capturing on')) resolve();
    });
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`tshark exited (${code}) before capturing: ${stderr.trim()}`)));
  });
  await within(15_000, 'tshark "Capturing on"', started);
  const probe = (): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ host: '127.0.0.2', port: PORT });
      s.once('error', () => resolve());
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
    });
  const seen = (async () => {
    while (stdout.trim() === '') {
      await probe();
      await sleep(100);
    }
  })();
  await within(15_000, 'tshark sees a probe packet', seen);
  child.stdout!.resume();
  return { file, child, exited };
}

/** SIGINT to our tshark (by its pid), after a moment for the last segments; waits for it to write the file. */
async function stopCapture(c: Capture): Promise<void> {
  await sleep(500);
  c.child.kill('SIGINT');
  await within(10_000, 'tshark stop', c.exited);
}

function decodeCapture(file: string): string {
  // smpp.decode_sms_over_smpp: the SMPP dissector shows a data_coding 0 short_message as text only when told which
  // alphabet that is (default: hex only); ours is GSM 7-bit, unpacked (smpp.gsm7_unpacked, on by default).
  const args = ['-r', file, '-d', `tcp.port==${PORT},smpp`, '-o', 'smpp.decode_sms_over_smpp:gsm7', '-V', '-O', 'smpp,gsm_sms_ud,wsp,mmse'];
  return execFileSync('tshark', args, {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const tshark = haveTshark();
  if (!tshark) report('tshark is installed (the capture checks need it: apt-get install tshark)', false, 'tshark not found on PATH');

  const dir = KEEP_DIR ?? mkdtempSync(join(tmpdir(), 'smpp-interop-'));
  const pcap = join(dir, 'smpp.pcapng');
  let capture: Capture | undefined;
  if (tshark) {
    try {
      capture = await startCapture(pcap);
      report(`tshark captures lo, tcp port ${PORT}`, true);
    } catch (e) {
      report(`tshark captures lo, tcp port ${PORT}`, false, errText(e));
    }
  }

  try {
    // --- Session 1: one transceiver.
    const trx = newClient({ id: 'perl-smsc', systemId: SYSTEM_ID, password: PASSWORD, bindMode: 'transceiver' });
    const unbound: string[] = [];
    trx.on('unbound', (reason) => unbound.push(reason));
    let pushed: MmsPush | undefined;
    let concat: MmsPush | undefined;
    if (await bind(trx, `bind_transceiver as ${SYSTEM_ID}: bound`)) {
      const short = segmentText(SHORT_TEXT, { reference: TEXT_REF });
      report(
        'short GSM text: one segment, data_coding 0',
        short.segments.length === 1 && short.dataCoding === 0 && short.alphabet === 'gsm7',
      );
      await submitText(trx, 'short GSM text', short);
      const long = segmentText(LONG_TEXT, { reference: TEXT_REF });
      report(
        'long GSM text: two concatenated segments',
        long.segments.length === 2 && long.alphabet === 'gsm7',
        `${long.segments.length} segment(s)`,
      );
      await submitText(trx, 'long GSM text', long);

      // The MM1 edge's path: PushSender (one segment, random TID and reference) over our client.
      const smsc = SmscSchema.parse({
        id: 'perl-smsc',
        host: HOST,
        port: PORT,
        systemId: SYSTEM_ID,
        password: PASSWORD,
        sourceAddr: SOURCE,
        registeredDelivery: false,
      });
      trx.label = 'push';
      const before = trx.sent.length;
      try {
        const r = await within(6000, 'push', new PushSender(smsc, trx).send(RECIPIENT, NOTIFICATION));
        report(
          'WAP push (PushSender, one segment): submit_sm_resp with a message id',
          r.messageIds.length === 1 && r.messageIds[0] !== '',
          `message_id "${r.messageIds.join('", "')}"`,
        );
        report(
          'WAP push (PushSender): sent whole',
          r.dropped.length === 0,
          r.dropped.length ? `dropped ${r.dropped.join(', ')}` : undefined,
        );
        const sent = trx.sent.slice(before);
        const sm = sent[0]?.sm.shortMessage;
        // The push as PushSender built it: same notification, TID from the WSP header (UDH 06 05 04 0B 84 23 F0, then the TID).
        if (sm) pushed = buildMmsPush(NOTIFICATION, { concatRef: 0, tid: sm[sm[0]! + 1]!, maxSegments: 1 });
        report(
          'WAP push (PushSender): the short_message is the push of protocols/push',
          !!pushed && !!sm && pushed.segments[0]!.shortMessage.equals(sm),
        );
        report('WAP push (PushSender): esm_class 0x40, data_coding 0x04', sent[0]?.sm.esmClass === 0x40 && sent[0]?.sm.dataCoding === 0x04);
      } catch (e) {
        report('WAP push (PushSender, one segment): submit_sm_resp with a message id', false, errText(e));
      }

      // A push that takes two segments (no compaction), built with buildMmsPush and submitted segment by segment.
      concat = buildMmsPush(LONG_NOTIFICATION, { concatRef: PUSH_CONCAT_REF, tid: PUSH_TID, compact: false });
      report('WAP push (buildMmsPush, whole): two segments', concat.segments.length === 2, `${concat.segments.length} segment(s)`);
      for (const [i, s] of concat.segments.entries()) {
        trx.label = `concatenated push#${i + 1}`;
        try {
          const r = await within(
            6000,
            'submit_sm',
            trx.submit({
              sourceAddr: SOURCE,
              sourceAddrTon: 1,
              sourceAddrNpi: 1,
              destinationAddr: RECIPIENT.slice(1),
              destAddrTon: 1,
              destAddrNpi: 1,
              esmClass: s.esmClass,
              dataCoding: s.dataCoding,
              registeredDelivery: 0,
              shortMessage: s.shortMessage,
            }),
          );
          report(
            `WAP push (two segments), segment ${i + 1}/2: submit_sm_resp with a message id`,
            r.messageId !== '',
            `message_id "${r.messageId}"`,
          );
        } catch (e) {
          report(`WAP push (two segments), segment ${i + 1}/2: submit_sm_resp with a message id`, false, errText(e));
        }
      }

      // enquire_link every 1 s: wait for one to be answered, the link must stay up.
      await sleep(1600);
      report(
        'enquire_link answered: still bound after 1.6 s of 1 s keep-alives',
        trx.bound && unbound.length === 0,
        unbound.join('; ') || undefined,
      );

      const ids = new Set(trx.sent.map((s) => s.result?.messageId));
      if (ids.size === 1) note(`smsc.pl answers every submit_sm with the same message_id "${[...ids][0]}"`);
    }
    // close() unbinds, half-closes and waits for the SMSC's FIN, at most responseTimeoutMs (5 s here). smsc.pl's
    // child exits after unbind_resp, but its parent holds the accepted socket until its next accept() (a new
    // connection, or the 5 s listen timeout of Net::SMPP): the FIN comes up to 5 s late.
    const t0 = performance.now();
    try {
      await within(8000, 'close', trx.close());
      const ms = Math.round(performance.now() - t0);
      report('close (unbind, then the connection closed) within the 5 s response timeout + 1 s', !trx.bound && ms < 6000, `${ms} ms`);
    } catch (e) {
      report('close (unbind, then the connection closed)', false, errText(e));
    }

    // --- Session 2: a transmitter and a receiver.
    const txrx = newClient({ id: 'perl-smsc-txrx', systemId: SYSTEM_ID_TXRX, password: PASSWORD_TXRX, bindMode: 'transmitter+receiver' });
    if (await bind(txrx, `bind_transmitter + bind_receiver as ${SYSTEM_ID_TXRX}: bound`)) {
      await sleep(200); // the receiver binds alongside; the bound event is the transmitter's
      await submitText(txrx, 'text over the transmitter', segmentText(TXRX_TEXT, { reference: TEXT_REF }));
    }
    try {
      await within(8000, 'close', txrx.close());
      report('close (unbind both sessions)', !txrx.bound);
    } catch (e) {
      report('close (unbind both sessions)', false, errText(e));
    }

    await checkMetrics();

    if (capture) {
      try {
        await stopCapture(capture);
        report('tshark capture stopped and written', existsSync(pcap));
        const text = decodeCapture(pcap);
        if (KEEP_DIR) writeFileSync(join(dir, 'smpp.tshark.txt'), text);
        checkCapture(text, trx, txrx, pushed, concat);
      } catch (e) {
        report('tshark capture decoded', false, errText(e));
      }
    }
  } finally {
    if (capture && capture.child.exitCode === null && capture.child.signalCode === null) capture.child.kill('SIGKILL');
    if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });
  }

  await checkSmscLog(SMSC_LOG);

  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// The client's own count of PDUs (its metrics): every response was ESME_ROK.

async function checkMetrics(): Promise<void> {
  const { values } = await metrics.smppPdus.get();
  const count = (smsc: string, command: string, direction: string, status = '0x00000000'): number =>
    values
      .filter(
        (v) => v.labels.smsc === smsc && v.labels.command === command && v.labels.direction === direction && v.labels.status === status,
      )
      .reduce((a, v) => a + v.value, 0);
  const trxSubmits = 1 + 2 + 1 + 2;
  report('client metrics: bind_transceiver_resp ESME_ROK', count('perl-smsc', 'bind_transceiver_resp', 'in') === 1);
  report(
    `client metrics: ${trxSubmits} submit_sm out, ${trxSubmits} submit_sm_resp ESME_ROK in`,
    count('perl-smsc', 'submit_sm', 'out') === trxSubmits && count('perl-smsc', 'submit_sm_resp', 'in') === trxSubmits,
  );
  report(
    'client metrics: enquire_link answered ESME_ROK',
    count('perl-smsc', 'enquire_link_resp', 'in') >= 1 &&
      count('perl-smsc', 'enquire_link_resp', 'in') === count('perl-smsc', 'enquire_link', 'out'),
  );
  report(
    'client metrics: unbind answered by unbind_resp ESME_ROK',
    count('perl-smsc', 'unbind', 'out') === 1 && count('perl-smsc', 'unbind_resp', 'in') === 1,
  );
  report(
    'client metrics (tx+rx): bind_transmitter_resp and bind_receiver_resp ESME_ROK',
    count('perl-smsc-txrx', 'bind_transmitter_resp', 'in') === 1 && count('perl-smsc-txrx', 'bind_receiver_resp', 'in') === 1,
  );
  report(
    'client metrics (tx+rx): both sessions unbound with unbind_resp ESME_ROK',
    count('perl-smsc-txrx', 'unbind', 'out') === 2 && count('perl-smsc-txrx', 'unbind_resp', 'in') === 2,
  );
  const other = values.filter((v) => v.labels.direction === 'in' && v.labels.status !== '0x00000000' && v.value > 0);
  report(
    'client metrics: no response with an error status, no generic_nack',
    other.length === 0 && !values.some((v) => v.labels.command === 'generic_nack' && v.value > 0),
    other.map((v) => `${v.labels.command} ${v.labels.status}`).join(', ') || undefined,
  );
}

// ---------------------------------------------------------------------------------------------------------
// What the SMSC read, from its own log.

async function checkSmscLog(file: string | undefined): Promise<void> {
  if (!file) {
    report('smsc.pl log: SMSC_LOG is set (run through run.sh)', false);
    return;
  }
  // Its children write `Received #seq cmd:name` to stdout, flushed when they exit (after the unbind).
  const expected: Array<[string, RegExp, number]> = [
    ['bind_transceiver', /^Received #\d+ 9:bind_transceiver$/, 1],
    ['bind_transmitter', /^Received #\d+ 2:bind_transmitter$/, 1],
    ['bind_receiver', /^Received #\d+ 1:bind_receiver$/, 1],
    ['submit_sm', /^Received #\d+ 4:submit_sm$/, 7],
    ['unbind', /^Received #\d+ 6:unbind$/, 3],
  ];
  let lines: string[] = [];
  for (let i = 0; i < 30; i++) {
    lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    if (expected.every(([, re, n]) => lines.filter((l) => re.test(l)).length >= n)) break;
    await sleep(100);
  }
  for (const [what, re, n] of expected) {
    const got = lines.filter((l) => re.test(l)).length;
    report(`smsc.pl log: read ${n} ${what}`, got === n, `${got}`);
  }
  report(
    'smsc.pl log: read enquire_link',
    lines.some((l) => /^Received #\d+ 21:enquire_link$/.test(l)),
  );
  report(
    'smsc.pl log: nothing it could not answer or read',
    !lines.some((l) => /Don't know to reply|PDU not read|Too short length/.test(l)),
    lines.find((l) => /Don't know to reply|PDU not read|Too short length/.test(l)),
  );
  const unbinds = lines.filter((l) => /Remote sent unbind/.test(l)).length;
  report('smsc.pl log: each of its 3 sessions saw our unbind and dropped the connection', unbinds === 3, `${unbinds}`);
}

// ---------------------------------------------------------------------------------------------------------
// tshark's view of the capture.

/** One SMPP PDU as tshark shows it: its SMPP tree and the trees that follow it in the frame (UDH, WSP, MMSE). */
interface ShownPdu {
  frame: number;
  /** The ESME's TCP port: one per connection. */
  clientPort: number;
  /** From the ESME (true) or from the SMSC. */
  fromClient: boolean;
  command: string;
  seq: number;
  /** Trimmed lines. */
  lines: string[];
}

function shownPdus(text: string): ShownPdu[] {
  const pdus: ShownPdu[] = [];
  let frame = 0;
  let ports: [number, number] | undefined;
  let current: ShownPdu | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = /^Frame (\d+):/.exec(line))) {
      frame = Number(m[1]);
      ports = undefined;
      current = undefined;
    } else if ((m = /^Transmission Control Protocol, Src Port: (\d+), Dst Port: (\d+)/.exec(line))) {
      ports = [Number(m[1]), Number(m[2])];
    } else if ((m = /^Short Message Peer to Peer, Command: (.+?)(?:, Status: .*)?, Seq: (\d+), Len: \d+$/.exec(line)) && ports) {
      const fromClient = ports[1] === PORT;
      current = { frame, clientPort: fromClient ? ports[0] : ports[1], fromClient, command: m[1]!, seq: Number(m[2]), lines: [] };
      pdus.push(current);
    } else if (current && line.trim() !== '') current.lines.push(line.trim());
  }
  return pdus;
}

type Expect = string | RegExp;

/** One check per expected line in the PDU's trees: exactly (string) or matching (RegExp). */
function expectLines(name: string, pdu: ShownPdu | undefined, expected: Array<[string, Expect]>): void {
  if (!pdu) {
    report(`${name}: shown by tshark`, false, 'no such PDU in the capture');
    return;
  }
  for (const [what, e] of expected) {
    const ok = typeof e === 'string' ? pdu.lines.includes(e) : pdu.lines.some((l) => e.test(l));
    report(
      `${name}: ${what}`,
      ok,
      ok ? `frame ${pdu.frame}` : `no line ${typeof e === 'string' ? `"${e}"` : `matching ${e}`} in frame ${pdu.frame}`,
    );
  }
}

const hex = (b: Buffer): string => b.toString('hex');

/** What tshark shows of every submit_sm: the header fields and the octets (its hex is cut after 36 octets, ending in …). */
function submitLines(sm: SubmitSm): Array<[string, Expect]> {
  const octets = sm.shortMessage ?? Buffer.alloc(0);
  const shown = hex(octets.subarray(0, 36));
  return [
    ['Operation submit_sm', 'Operation: Submit_sm (0x00000004)'],
    ['source_addr', `Originator address: ${sm.sourceAddr}`],
    ['destination_addr', `Recipient address: ${sm.destinationAddr}`],
    ['dest_addr_ton International', 'Type of number (recipient): International (0x01)'],
    [
      `esm_class ${sm.esmClass === 0x40 ? 'UDHI' : 'no UDHI'}`,
      sm.esmClass === 0x40
        ? '01.. .... = GSM features: UDHI indicator (0x1)'
        : '00.. .... = GSM features: No specific features selected (0x0)',
    ],
    [
      `data_coding 0x${sm.dataCoding.toString(16).padStart(2, '0')}`,
      sm.dataCoding === 0x04 ? 'Data coding: Octet unspecified (8-bit binary) (0x04)' : 'Data coding: SMSC default alphabet (0x00)',
    ],
    [`sm_length ${octets.length}`, `Message length: ${octets.length}`],
    ['short_message octets as sent', octets.length > 36 ? `Message bytes: ${shown}…` : `Message bytes: ${shown}`],
  ];
}

/** The submit_sm_resp of a submit: same sequence number, ESME_ROK, the message id the client returned. */
function respLines(sent: Sent): Array<[string, Expect]> {
  return [
    ['Result Ok', 'Result: Ok (0x00000000)'],
    [`message_id ${sent.result?.messageId ?? '(none returned)'}`, `Message id.: ${sent.result?.messageId ?? ''}`],
  ];
}

const PORT_LINES: Array<[string, Expect]> = [
  ['UDH destination port 2948', /^Destination port: .*\(2948\)$/],
  ['UDH source port 9200', /^Originator port: .*\(9200\)$/],
];

/** The text of each segment of a GSM text whose characters are all one septet each (the texts here). */
function segmentTexts(text: string, seg: SegmentedText): string[] {
  const out: string[] = [];
  let at = 0;
  for (const s of seg.segments) {
    out.push(text.slice(at, at + s.payload.length));
    at += s.payload.length;
  }
  return out;
}

function checkCapture(
  text: string,
  trx: RecordingClient,
  txrx: RecordingClient,
  pushed: MmsPush | undefined,
  concat: MmsPush | undefined,
): void {
  report('tshark: no malformed packet, no error', !/Malformed Packet|Expert Info \(Error/.test(text));
  const pdus = shownPdus(text);
  const connOf = (command: string): ShownPdu[] => {
    const bind = pdus.find((p) => p.command === command && p.fromClient);
    return bind ? pdus.filter((p) => p.clientPort === bind.clientPort) : [];
  };
  const respTo = (conn: ShownPdu[], req: ShownPdu | undefined): ShownPdu | undefined =>
    req && conn.find((p) => !p.fromClient && p.seq === req.seq && p.command.startsWith(`${req.command} - resp`));

  // --- The transceiver connection.
  const c1 = connOf('Bind_transceiver');
  const bind1 = c1.find((p) => p.command === 'Bind_transceiver');
  expectLines('capture, bind_transceiver', bind1, [
    [`system_id ${SYSTEM_ID}`, `System ID: ${SYSTEM_ID}`],
    ['password', `Password: ${PASSWORD}`],
    ['interface_version 3.4', 'Version (if): 3.4'],
  ]);
  expectLines('capture, bind_transceiver_resp', respTo(c1, bind1), [
    ['Result Ok', 'Result: Ok (0x00000000)'],
    [`SMSC system_id ${SMSC_SYSTEM_ID}`, `System ID: ${SMSC_SYSTEM_ID}`],
  ]);

  const submits1 = c1.filter((p) => p.fromClient && p.command === 'Submit_sm');
  report(`capture: ${trx.sent.length} submit_sm on the transceiver connection`, submits1.length === trx.sent.length, `${submits1.length}`);
  const long = segmentText(LONG_TEXT, { reference: TEXT_REF });
  const longTexts = segmentTexts(LONG_TEXT, long);
  const pushTid = (sm: SubmitSm): number => sm.shortMessage![sm.shortMessage![0]! + 1]!;
  for (const [i, sent] of trx.sent.entries()) {
    const pdu = submits1[i];
    const name = `capture, ${sent.label}`;
    const extra: Array<[string, Expect]> = [];
    if (sent.label === 'short GSM text#1') extra.push(['text', `Message: ${SHORT_TEXT}`]);
    const lm = /^long GSM text#(\d)$/.exec(sent.label);
    if (lm) {
      const k = Number(lm[1]);
      extra.push(
        ['text of the segment', `Message: ${longTexts[k - 1]}`.trim()],
        ['UDH length 5', 'User Data Header Length: 5'],
        [`concatenation reference ${TEXT_REF}`, `Message identifier: ${TEXT_REF}`],
        ['concatenation: 2 parts', 'Message parts: 2'],
        [`concatenation: part ${k}`, `Message part number: ${k}`],
      );
      if (k === 2) extra.push(['reassembled length', `[Reassembled Short Message length: ${LONG_TEXT.length}]`]);
    }
    if (sent.label === 'push' && pushed) {
      extra.push(['UDH length 6', 'User Data Header Length: 6'], ...PORT_LINES, ...wspMmseLines(pushed, pushTid(sent.sm)));
    }
    const pm = /^concatenated push#(\d)$/.exec(sent.label);
    if (pm && concat) {
      const k = Number(pm[1]);
      extra.push(
        ['UDH length 11', 'User Data Header Length: 11'],
        ...PORT_LINES,
        [`concatenation reference ${PUSH_CONCAT_REF}`, `Message identifier: ${PUSH_CONCAT_REF}`],
        ['concatenation: 2 parts', 'Message parts: 2'],
        [`concatenation: part ${k}`, `Message part number: ${k}`],
      );
      if (k === 2)
        extra.push(['reassembled length', `[Reassembled Short Message length: ${concat.wsp.length}]`], ...wspMmseLines(concat, PUSH_TID));
    }
    expectLines(name, pdu, [...submitLines(sent.sm), ...extra]);
    expectLines(`${name}, submit_sm_resp`, respTo(c1, pdu), respLines(sent));
  }
  // The oracle itself: whole lines of one PDU's trees, so the other push's values are not found in this one.
  const pushPdu = submits1[trx.sent.findIndex((s) => s.label === 'push')];
  report(
    "oracle sanity: the one-segment push's frame does not show the other push's transaction id",
    !!pushPdu &&
      pushPdu.lines.includes(`X-Mms-Transaction-ID: ${NOTIFICATION.transactionId}`) &&
      !pushPdu.lines.includes(`X-Mms-Transaction-ID: ${LONG_NOTIFICATION.transactionId}`),
  );
  const enquire = c1.find((p) => p.fromClient && p.command === 'Enquire_link');
  expectLines('capture, enquire_link_resp', respTo(c1, enquire), [['Result Ok', 'Result: Ok (0x00000000)']]);
  const unbind1 = c1.find((p) => p.fromClient && p.command === 'Unbind');
  expectLines('capture, unbind_resp', respTo(c1, unbind1), [['Result Ok', 'Result: Ok (0x00000000)']]);
  report(
    'capture: nothing from us after the unbind on the transceiver connection',
    !!unbind1 && !c1.some((p) => p.fromClient && p.frame > unbind1.frame),
  );

  // --- The transmitter and receiver connections.
  for (const command of ['Bind_transmitter', 'Bind_receiver']) {
    const c = connOf(command);
    const bind = c.find((p) => p.command === command);
    expectLines(`capture, ${command.toLowerCase()}`, bind, [
      [`system_id ${SYSTEM_ID_TXRX}`, `System ID: ${SYSTEM_ID_TXRX}`],
      ['password', `Password: ${PASSWORD_TXRX}`],
    ]);
    expectLines(`capture, ${command.toLowerCase()}_resp`, respTo(c, bind), [
      ['Result Ok', 'Result: Ok (0x00000000)'],
      [`SMSC system_id ${SMSC_SYSTEM_ID}`, `System ID: ${SMSC_SYSTEM_ID}`],
    ]);
    const unbind = c.find((p) => p.fromClient && p.command === 'Unbind');
    expectLines(`capture, ${command.toLowerCase()} connection: unbind_resp`, respTo(c, unbind), [['Result Ok', 'Result: Ok (0x00000000)']]);
    if (command === 'Bind_transmitter') {
      const submit = c.find((p) => p.fromClient && p.command === 'Submit_sm');
      const sent = txrx.sent[0];
      if (sent) {
        expectLines('capture, text over the transmitter', submit, [...submitLines(sent.sm), ['text', `Message: ${TXRX_TEXT}`]]);
        expectLines('capture, text over the transmitter, submit_sm_resp', respTo(c, submit), respLines(sent));
      } else report('capture, text over the transmitter: submitted', false);
    } else report('capture: no submit_sm on the receiver connection', !c.some((p) => p.command === 'Submit_sm'));
  }
}

process.exitCode = await main();
