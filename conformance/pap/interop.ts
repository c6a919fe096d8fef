/**
 * PapSender against a Push Proxy Gateway nobody here wrote: Kannel's wapbox (PAP over HTTP on PPG_URL), behind
 * its bearerbox, bound to the example SMSC of Debian's libnet-smpp-perl (smsc.pl on localhost:SMSC_PORT). run.sh
 * starts them all and a tshark capture of the SMSC port (TSHARK_PID, writing PCAP); this program pushes one
 * m-notification-ind through the PPG and checks each hop:
 *   - the PAP answer (push-response 1001, for our push-id);
 *   - Kannel's own view (wapbox.log, bearerbox's status page: one SMS sent, none failed or queued);
 *   - the SMSC's view (smsc.pl's log: a submit_sm to the subscriber, binary, UDHI);
 *   - tshark's decode of the capture (SMPP, GSM SMS UDH, WSP, MMSE dissectors): a WAP push to port 2948 that
 *     carries our m-notification-ind with our Transaction-ID and Content-Location, byte for byte.
 * A check is one line: `ok` or `FAIL`; `note` lines tell what the peer did without judging it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { encodePdu, mediaTypeOf, type NotificationInd } from '../../protocols/mms/index.js';
import { buildPapRequest, parsePapResponse } from '../../protocols/pap/index.js';
import { MMS_CONTENT_TYPE, parseMmsPush } from '../../protocols/push/index.js';
import { PapSendError, PapSender } from '../../src/mm1/pap-sender.js';
import { httpPost } from '../../src/transport/http-post.js';
import { compareWithTshark, formatDiff, haveTshark, parseTshark } from '../pdu/tshark.js';

const PPG_URL = process.env.PPG_URL ?? 'http://127.0.0.1:8080/wappush';
const STATUS_URL = process.env.STATUS_URL ?? 'http://127.0.0.1:13000/status.txt?password=bar';
const SMSC_PORT = Number(process.env.SMSC_PORT ?? 9900);
const SMSC_LOG = process.env.SMSC_LOG;
const KANNEL_LOGS = process.env.KANNEL_LOGS;
const PCAP = process.env.PCAP;
const TSHARK_PID = Number(process.env.TSHARK_PID ?? 0);
/** Kept for reading when set: tshark's text of the capture. */
const KEEP_DIR = process.env.PAP_CONFORMANCE_KEEP;

const RECIPIENT = '+4915123456789';
const SMPP_RECIPIENT = RECIPIENT.slice(1);
/** Unique per run: the push found in the logs and the capture is this run's. */
const TOKEN = randomBytes(6).toString('hex');
const PUSH_ID = `pap-${TOKEN}@mmsc.example.net`;
const NOTIFICATION: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-pap-0001',
  mmsVersion: '1.2',
  messageClass: 'Personal',
  messageSize: 48213,
  expiry: 259200,
  contentLocation: `http://mmsc.example.net/mms/retrieve?id=${TOKEN}`,
};

// ---------------------------------------------------------------------------------------------------------
// Reporting: run.sh's own checks (SETUP_PASSED) count towards the total.

let passed = Number(process.env.SETUP_PASSED ?? 0);
let failed = 0;
function report(name: string, ok: boolean, detail?: string): boolean {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
  if (ok) passed++;
  else failed++;
  return ok;
}
const note = (text: string): void => console.log(`note ${text}`);
const errText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function httpGetText(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** bearerbox's counters for the SMSC connection (status.txt, `netsmpp[netsmpp] SMPP:... (online ...)`). */
interface SmscStatus {
  online: boolean;
  sent: number;
  failed: number;
  queued: number;
  line: string;
}

function smscStatus(text: string): SmscStatus | undefined {
  const line = text.split('\n').find((l) => l.includes('netsmpp[netsmpp]'));
  if (!line) return undefined;
  const m = /\((online|connecting|re-connecting|disconnected|dead)[^,]*, rcvd: .*?sent: sms (\d+) .*failed (\d+), queued (\d+) msgs\)/.exec(
    line,
  );
  if (!m) return { online: false, sent: 0, failed: 0, queued: 0, line: line.trim() };
  return { online: m[1] === 'online', sent: Number(m[2]), failed: Number(m[3]), queued: Number(m[4]), line: line.trim() };
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  // --- The gateway as bearerbox sees it before the push.
  try {
    const status = await httpGetText(STATUS_URL);
    report('bearerbox status: running', /^Status: running/m.test(status));
    report('bearerbox status: wapbox connected', /^\s+wapbox, IP 127\.0\.0\.1 \(on-line/m.test(status));
    const smsc = smscStatus(status);
    report('bearerbox status: SMSC netsmpp (smsc.pl) online', !!smsc?.online, smsc?.line);
  } catch (e) {
    report('bearerbox status page answers', false, errText(e));
  }

  // --- The push.
  const mms = encodePdu(NOTIFICATION);
  note(
    `m-notification-ind: ${mms.length} octets, Transaction-ID ${NOTIFICATION.transactionId}, Content-Location ${NOTIFICATION.contentLocation}`,
  );
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const results: string[] = [];
  const sender = new PapSender(
    { url: PPG_URL, timeoutMs: 10_000 },
    { log: pino({ level: 'debug' }, sink), onResult: (r) => results.push(r) },
  );
  let accepted = false;
  try {
    const r = await sender.send(RECIPIENT, mms, { pushId: PUSH_ID, deliverBefore: new Date(Date.now() + 259_200_000) });
    accepted = report(`PAP push-response code ${r.code}: accepted for processing (1001)`, r.code === 1001, r.description);
    report('PAP push-response: for our push-id', r.pushId === PUSH_ID && !logLines.some((l) => l.includes('another push-id')), PUSH_ID);
    report("PapSender's result counter: accepted", results.join() === 'accepted', results.join());
  } catch (e) {
    const detail = e instanceof PapSendError ? `${e.code}${e.papCode ? ` PAP ${e.papCode}` : ''}: ${e.message}` : errText(e);
    report('PAP push-response code 1001: accepted for processing', false, detail);
  }

  // --- A control entity Kannel cannot read. PapSender only writes valid documents, so this request is ours
  // broken by hand, and the answer is read with parsePapResponse directly.
  await badMessage();

  // --- Kannel passes the push to bearerbox, which submits it to the SMSC.
  let smsc: SmscStatus | undefined;
  for (let i = 0; i < 100; i++) {
    try {
      smsc = smscStatus(await httpGetText(STATUS_URL));
    } catch {
      smsc = undefined;
    }
    if (smsc && smsc.sent >= 1 && smsc.queued === 0) break;
    await sleep(100);
  }
  report(
    'bearerbox status: the push went to the SMSC as 1 SMS, none failed or queued',
    !!smsc && smsc.sent === 1 && smsc.failed === 0 && smsc.queued === 0,
    smsc?.line ?? 'no status',
  );

  checkKannelLogs();
  await checkSmscLog();

  // --- tshark's view of the SMSC link.
  if (!haveTshark()) report('tshark is installed (apt-get install tshark)', false);
  else if (!PCAP || !TSHARK_PID) report('capture: PCAP and TSHARK_PID are set (run through run.sh)', false);
  else {
    try {
      await stopCapture(TSHARK_PID);
      report('tshark capture stopped and written', existsSync(PCAP));
      checkCapture(PCAP, mms, accepted);
    } catch (e) {
      report('tshark capture decoded', false, errText(e));
    }
  }

  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

/** Kannel's answer to a push whose control entity is not well-formed XML: a badmessage-response (§9.12), 2000. */
async function badMessage(): Promise<void> {
  const req = buildPapRequest(
    { pushId: `bad-${TOKEN}@mmsc.example.net`, address: RECIPIENT, deliveryMethod: 'unconfirmed' },
    { contentType: MMS_CONTENT_TYPE, applicationId: 'x-wap-application:mms.ua', body: Buffer.from([0x8c, 0x82]) },
  );
  const broken = Buffer.from(req.body.toString('latin1').replace('</push-message>', '</push-mesage>'), 'latin1');
  try {
    const answer = await httpPost(PPG_URL, { 'content-type': req.contentType }, broken, { timeoutMs: 10_000, maxAnswerBytes: 64 * 1024 });
    const r = parsePapResponse(answer.body);
    report(
      'broken control entity: badmessage-response code 2000 (Bad Request), read by parsePapResponse',
      r.kind === 'badmessage-response' && r.code === 2000,
      `HTTP ${answer.status}, ${r.kind} ${r.code}${r.description ? ` "${r.description}"` : ''}`,
    );
  } catch (e) {
    report('broken control entity: badmessage-response code 2000 (Bad Request)', false, errText(e));
  }
}

function checkKannelLogs(): void {
  if (!KANNEL_LOGS) {
    report('Kannel logs: KANNEL_LOGS is set (run through run.sh)', false);
    return;
  }
  const wapbox = readFileSync(join(KANNEL_LOGS, 'wapbox.log'), 'latin1');
  report('wapbox.log: PPG accepted our push for processing', /PPG: handle_push_message: push message accepted for processing/.test(wapbox));
  report('wapbox.log: unconfirmed push delivered to OTA (connectionless WSP push)', /PPG: unconfirmed push delivered to OTA/.test(wapbox));
  const header = /Skipping header: ([^\n]+)/.exec(wapbox);
  if (header) note(`wapbox skipped a request header it could not encode into the push: ${header[1]}`);
}

async function checkSmscLog(): Promise<void> {
  if (!SMSC_LOG) {
    report('smsc.pl log: SMSC_LOG is set (run through run.sh)', false);
    return;
  }
  // run.sh runs a copy of smsc.pl with its $trace on (Data::Dumper of each PDU on stderr) and stdout unbuffered.
  let log = '';
  for (let i = 0; i < 50; i++) {
    log = existsSync(SMSC_LOG) ? readFileSync(SMSC_LOG, 'latin1') : '';
    if (/^Received #\d+ 4:submit_sm$/m.test(log)) break;
    await sleep(100);
  }
  const submits = log.match(/^Received #\d+ 4:submit_sm$/gm) ?? [];
  report('smsc.pl log: read 1 submit_sm', submits.length === 1, `${submits.length}`);
  const dump = log.slice(log.search(/^Received #\d+ 4:submit_sm$/m));
  const field = (name: string): string | undefined => new RegExp(`'${name}' => '?([^',\\n]*)'?,?\\n`).exec(dump)?.[1];
  report(`smsc.pl: submit_sm destination_addr ${SMPP_RECIPIENT}`, field('destination_addr') === SMPP_RECIPIENT, field('destination_addr'));
  // Kannel also sets the messaging-mode bits (0x03, store and forward): only the UDHI bit is ours to check.
  const esm = Number(field('esm_class'));
  report(
    'smsc.pl: submit_sm esm_class with UDHI (0x40), data_coding 0x04 (8-bit)',
    (esm & 0x40) !== 0 && field('data_coding') === '4',
    `esm_class 0x${esm.toString(16)}, data_coding ${field('data_coding')}`,
  );
  report('smsc.pl: nothing it could not read or answer', !/PDU not read|Don't know to reply|Too short length/.test(log));
}

/** SIGINT to run.sh's tshark (by its pid); done when it has exited (gone, or a zombie awaiting run.sh). */
async function stopCapture(pid: number): Promise<void> {
  await sleep(500); // the last segments
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    let state: string | undefined;
    try {
      state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    } catch {
      return; // gone
    }
    if (state === 'Z' || state === 'X') return;
    await sleep(100);
  }
  throw new Error(`tshark (pid ${pid}) did not stop within 10 s of SIGINT`);
}

interface ShownPdu {
  frame: number;
  command: string;
  seq: number;
  fromSmsc: boolean;
  lines: string[];
}

/** The SMPP PDUs of a `-V` decode, each with its trees (SMPP, UDH, WSP, MMSE) as trimmed lines. */
function shownPdus(text: string): ShownPdu[] {
  const pdus: ShownPdu[] = [];
  let frame = 0;
  let srcPort = 0;
  let current: ShownPdu | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^Frame (\d+):/.exec(line))) {
      frame = Number(m[1]);
      current = undefined;
    } else if ((m = /^Transmission Control Protocol, Src Port: (\d+), Dst Port: (\d+)/.exec(line))) srcPort = Number(m[1]);
    else if ((m = /^Short Message Peer to Peer, Command: (.+?)(?:, Status: .*)?, Seq: (\d+), Len: \d+$/.exec(line))) {
      current = { frame, command: m[1]!, seq: Number(m[2]), fromSmsc: srcPort === SMSC_PORT, lines: [] };
      pdus.push(current);
    } else if (current && line.trim() !== '') current.lines.push(line.trim());
  }
  return pdus;
}

function checkCapture(pcap: string, mms: Buffer, accepted: boolean): void {
  const tshark = (args: string[]): string =>
    execFileSync('tshark', ['-r', pcap, '-d', `tcp.port==${SMSC_PORT},smpp`, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
  const text = tshark(['-V', '-O', 'smpp,gsm_sms_ud,wsp,mmse']);
  if (KEEP_DIR) writeFileSync(join(KEEP_DIR, 'pap-smsc.tshark.txt'), text);
  const pdus = shownPdus(text);
  const submits = pdus.filter((p) => p.command === 'Submit_sm' && !p.fromSmsc);
  report('capture: one submit_sm from bearerbox to the SMSC', submits.length === 1, `${submits.length}`);
  const bind = pdus.find((p) => p.command === 'Bind_transceiver');
  if (bind)
    note(`capture: Kannel bound as ${bind.lines.find((l) => l.startsWith('System ID:')) ?? '?'} (bind_transceiver, frame ${bind.frame})`);
  const sm = submits.find((p) => p.lines.some((l) => l.includes(NOTIFICATION.contentLocation)));
  report(
    'capture: a submit_sm carries our Content-Location (tshark MMSE dissector)',
    !!sm,
    sm ? `frame ${sm.frame}` : accepted ? 'not found' : 'the push was not accepted',
  );
  if (!sm) return;

  const expect: Array<[string, string | RegExp]> = [
    [`recipient ${SMPP_RECIPIENT}`, `Recipient address: ${SMPP_RECIPIENT}`],
    ['recipient TON international', 'Type of number (recipient): International (0x01)'],
    ['esm_class UDHI', '01.. .... = GSM features: UDHI indicator (0x1)'],
    ['data_coding 8-bit binary', 'Data coding: Octet unspecified (8-bit binary) (0x04)'],
    ['UDH destination port 2948 (WAP push, WAP-259-WDP)', /^Destination port: .*\(2948\)$/],
    ['UDH source port 9200', /^Originator port: .*\(9200\)$/],
    ['WSP PDU type Push', 'PDU Type: Push (0x06)'],
    ['WSP Content-Type application/vnd.wap.mms-message', 'Content-Type: application/vnd.wap.mms-message'],
    ['WSP X-Wap-Application-Id x-wap-application:mms.ua', 'X-Wap-Application-Id: x-wap-application:mms.ua'],
    ['MMSE m-notification-ind', 'X-Mms-Message-Type: m-notification-ind (0x82)'],
    [`MMSE Transaction-ID ${NOTIFICATION.transactionId}`, `X-Mms-Transaction-ID: ${NOTIFICATION.transactionId}`],
    [`MMSE Content-Location ${NOTIFICATION.contentLocation}`, `X-Mms-Content-Location: ${NOTIFICATION.contentLocation}`],
  ];
  for (const [what, e] of expect) {
    const ok = typeof e === 'string' ? sm.lines.includes(e) : sm.lines.some((l) => e.test(l));
    report(
      `capture submit_sm: ${what}`,
      ok,
      ok ? undefined : `no line ${typeof e === 'string' ? `"${e}"` : `matching ${e}`} in frame ${sm.frame}`,
    );
  }
  report('capture submit_sm: no malformed-packet mark', !sm.lines.some((l) => l.includes('Malformed Packet')));

  // Every field of our notification against tshark's MMSE record (the PDU conformance oracle's comparison).
  const mmseText = text
    .split('\n')
    .slice(text.split('\n').findIndex((l) => l.startsWith('MMS Message Encapsulation') && l.includes('m-notification-ind')))
    .join('\n');
  const diffs = compareWithTshark(NOTIFICATION, parseTshark(mmseText));
  report(
    'capture: tshark shows every field of our m-notification-ind as we encoded it',
    diffs.length === 0,
    diffs.map((d) => formatDiff(d, 'tshark')).join('; ') || undefined,
  );

  const resp = pdus.find((p) => p.fromSmsc && p.command === 'Submit_sm - resp' && p.seq === sm.seq);
  report(
    'capture: the SMSC answered submit_sm_resp Ok (same sequence number)',
    !!resp && resp.lines.includes('Result: Ok (0x00000000)'),
    resp ? `frame ${resp.frame}` : 'none',
  );

  // The short_message octets: our PDU, byte for byte, inside Kannel's WSP push; and our own decoder reads it.
  const fields = tshark(['-Y', `frame.number==${sm.frame}`, '-T', 'fields', '-e', 'smpp.message']).trim();
  const shortMessage = Buffer.from(fields.split(/[\s,]/)[0] ?? '', 'hex');
  report(
    'capture: the short_message ends with our m-notification-ind, byte for byte',
    shortMessage.length > mms.length && shortMessage.subarray(shortMessage.length - mms.length).equals(mms),
    `${shortMessage.length} octets`,
  );
  try {
    const parsed = parseMmsPush([shortMessage]);
    report(
      "protocols/push reads Kannel's push back: ports 2948/9200, same notification",
      parsed.ports.destination === 2948 &&
        parsed.ports.source === 9200 &&
        parsed.notification.contentLocation === NOTIFICATION.contentLocation &&
        parsed.notification.transactionId === NOTIFICATION.transactionId,
    );
    const headers = sm.lines.filter((l) => /^(Content-Length|Encoding-Version|User-Agent|Accept[-\w]*): /.test(l));
    note(
      `Kannel's WSP push: headers of its own ${headers.join(', ') || 'none'}; Content-Type as ${shortMessage.includes(Buffer.from(MMS_CONTENT_TYPE)) ? 'a text string' : 'a well-known code'} (${mediaTypeOf(parsed.push.contentType)})`,
    );
  } catch (e) {
    report("protocols/push reads Kannel's push back", false, errText(e));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.log(`FAIL interop crashed (${errText(e)})`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  },
);
