/**
 * Our MMS notification push against an independent decoder: pushes built with protocols/push are written as SMPP
 * submit_sm PDUs (SMPP v3.4 §4.4.1, one TCP frame each, made with text2pcap) and decoded by tshark's SMPP, GSM SMS
 * user data, WSP and MMSE dissectors, which must show the values we encoded. A check is one line: `ok` or `FAIL`.
 * conformance/tools/smpp_push_pcap.py (which writes the push octets by hand) must also agree with our short_message.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { buildMmsPush, type MmsPush, type PushSegment } from '../../protocols/push/index.js';
import { haveTshark, conformanceDir } from '../pdu/tshark.js';
import { wspMmseLines } from './expect.js';

const SMPP_PORT = 2775;
const TSHARK_ARGS = ['-V', '-O', 'smpp,gsm_sms_ud,wsp,mmse', '-d', `tcp.port==${SMPP_PORT},smpp`];

const NOTIFICATION: NotificationInd = {
  messageType: 'm-notification-ind',
  transactionId: 'T-push-0001',
  mmsVersion: '1.2',
  from: '+15551234567/TYPE=PLMN',
  subject: 'Holiday pictures',
  messageClass: 'Personal',
  messageSize: 48213,
  expiry: 259200,
  contentLocation: 'http://mmsc.example.net/mms/retrieve?id=9f3c2a',
};
const LONG_SUBJECT = 'Pictures from the holiday in the mountains, with the whole family and the dog';

/** SMPP v3.4 §4.4.1 submit_sm carrying one segment (sequence numbers from `seq`). */
function submitSm(segment: PushSegment, seq: number): Buffer {
  const c = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');
  const body = Buffer.concat([
    c(''), // service_type
    Buffer.from([0x01, 0x01]),
    c('12345'), // source_addr_ton International, npi ISDN, source_addr
    Buffer.from([0x01, 0x01]),
    c('4912345678'), // dest_addr_ton, dest_addr_npi, destination_addr
    Buffer.from([segment.esmClass, 0x00, 0x00]), // esm_class, protocol_id, priority_flag
    c(''),
    c(''), // schedule_delivery_time, validity_period
    Buffer.from([0x00, 0x00, segment.dataCoding, 0x00, segment.shortMessage.length]), // registered_delivery .. sm_length
    segment.shortMessage,
  ]);
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(0x00000004, 4); // submit_sm
  header.writeUInt32BE(0, 8);
  header.writeUInt32BE(seq, 12);
  return Buffer.concat([header, body]);
}

/** od -Ax -tx1 style text, the offset restarting at 0 for each frame (text2pcap's packet boundary). */
function hexDump(frames: Buffer[]): string {
  let out = '';
  for (const f of frames) {
    for (let o = 0; o < f.length; o += 16) {
      out += `${o.toString(16).padStart(6, '0')} ${[...f.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
    }
  }
  return out;
}

/** The segments as submit_sm frames over TCP 40001 -> 2775, decoded by tshark. */
function tsharkOf(segments: PushSegment[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'push-oracle-'));
  try {
    writeFileSync(join(dir, 'frames.txt'), hexDump(segments.map((s, i) => submitSm(s, i + 1))));
    execFileSync('text2pcap', ['-q', '-T', `40001,${SMPP_PORT}`, join(dir, 'frames.txt'), join(dir, 'push.pcap')], { stdio: 'ignore' });
    return execFileSync('tshark', ['-r', join(dir, 'push.pcap'), ...TSHARK_ARGS], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let passed = 0;
let failed = 0;
function report(name: string, ok: boolean, detail?: string): void {
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${!ok && detail ? ` (${detail})` : ''}`);
  if (ok) passed++;
  else failed++;
}

type Expect = string | RegExp | { absent: RegExp };

/** One check per expected line: present exactly (string), present (RegExp), or absent. */
function checkLines(name: string, text: string, expected: Array<[string, Expect]>): void {
  const lines = text.split('\n').map((l) => l.trim());
  for (const [what, e] of expected) {
    if (typeof e === 'string') report(`${name}: ${what}`, lines.includes(e), `no line "${e}"`);
    else if (e instanceof RegExp)
      report(
        `${name}: ${what}`,
        lines.some((l) => e.test(l)),
        `no line matching ${e}`,
      );
    else report(`${name}: ${what}`, !lines.some((l) => e.absent.test(l)), `a line matches ${e.absent}`);
  }
  report(`${name}: no malformed packet`, !/Malformed Packet|Expert Info \(Error/.test(text), 'tshark reports an error');
}

function smppAndUdh(push: MmsPush, concatRef: number): Array<[string, Expect]> {
  const checks: Array<[string, Expect]> = [
    ['SMPP submit_sm', 'Operation: Submit_sm (0x00000004)'],
    ['esm_class UDHI', '01.. .... = GSM features: UDHI indicator (0x1)'],
    ['data_coding 0x04', 'Data coding: Octet unspecified (8-bit binary) (0x04)'],
    ['UDH destination port 2948', /^Destination port: .*\(2948\)$/],
    ['UDH source port 9200', /^Originator port: .*\(9200\)$/],
  ];
  if (push.segments.length === 1) {
    checks.push(['UDH length 6', 'User Data Header Length: 6'], ['no concatenation IE', { absent: /^IE: Concatenated short messages/ }]);
  } else {
    checks.push(
      ['UDH length 11', 'User Data Header Length: 11'],
      [`concatenation: reference ${concatRef}`, `Message identifier: ${concatRef}`],
      [`concatenation: ${push.segments.length} parts`, `Message parts: ${push.segments.length}`],
      ['concatenation: last part number', `Message part number: ${push.segments.length}`],
      ['reassembled length', `[Reassembled Short Message length: ${push.wsp.length}]`],
    );
  }
  return checks;
}

/** The shared WSP/MMS lines, plus what this check knows more: the headers length, and optional fields left out. */
function wspAndMmse(push: MmsPush, tid: number): Array<[string, Expect]> {
  const n = push.notification;
  const checks: Array<[string, Expect]> = [['WSP headers length 3', 'Headers Length: 3'], ...wspMmseLines(push, tid)];
  if (n.from === undefined) checks.push(['MMS From left out', { absent: /^From: / }]);
  if (n.subject === undefined) checks.push(['MMS Subject left out', { absent: /^Subject: / }]);
  return checks;
}

function pushCase(
  name: string,
  notification: NotificationInd,
  options: Parameters<typeof buildMmsPush>[1],
  segments: number,
  dropped: string[],
): string {
  const push = buildMmsPush(notification, options);
  report(`${name}: ${segments} segment(s)`, push.segments.length === segments, `got ${push.segments.length}`);
  report(`${name}: dropped [${dropped.join(', ')}]`, push.dropped.join() === dropped.join(), `dropped [${push.dropped.join(', ')}]`);
  const text = tsharkOf(push.segments);
  checkLines(name, text, [...smppAndUdh(push, options.concatRef), ...wspAndMmse(push, options.tid ?? 0)]);
  return text;
}

/** conformance/tools/smpp_push_pcap.py (written outside the gateway's code, with the public vectors) wraps an MMS PDU in UDH 06 05 04 0B 84 23 F0 and WSP 01 06 03 BE AF 84 by hand. */
function toolCase(): void {
  const push = buildMmsPush(NOTIFICATION, { concatRef: 0, tid: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'push-tool-'));
  try {
    writeFileSync(join(dir, 'n.mms'), push.mms);
    execFileSync('/usr/bin/python3', [join(conformanceDir(), 'tools', 'smpp_push_pcap.py'), join(dir, 'n.mms'), join(dir, 'n.bin')]);
    const theirs = readFileSync(join(dir, 'n.bin'));
    const sm = theirs.subarray(theirs.length - push.segments[0]!.shortMessage.length);
    report(
      'smpp_push_pcap.py: same short_message as ours (TID 1)',
      sm.equals(push.segments[0]!.shortMessage),
      `${sm.toString('hex')} vs ${push.segments[0]!.shortMessage.toString('hex')}`,
    );
    report('smpp_push_pcap.py: same submit_sm as ours', theirs.equals(submitSm(push.segments[0]!, 1)), 'the submit_sm fields differ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): number {
  if (!haveTshark()) {
    console.log('FAIL tshark is not installed (conformance/push/run.sh installs it)');
    return 1;
  }
  const text = pushCase('whole, one SMS', NOTIFICATION, { concatRef: 0, tid: 1 }, 1, []);
  // The oracle itself: a value we did not send must not be found (the checks compare whole lines).
  const lines = text.split('\n').map((l) => l.trim());
  report(
    'oracle sanity: a transaction id we did not send is not shown',
    !lines.includes('X-Mms-Transaction-ID: T-push-000') && !lines.includes('Transaction ID: 0x02'),
  );
  pushCase("compact 'auto', one SMS", { ...NOTIFICATION, subject: LONG_SUBJECT }, { concatRef: 0, tid: 2 }, 1, ['subject']);
  pushCase('compact true', NOTIFICATION, { concatRef: 0, tid: 3, compact: true }, 1, ['subject', 'from']);
  pushCase('whole, concatenated', { ...NOTIFICATION, subject: LONG_SUBJECT }, { concatRef: 0x5a, tid: 4, compact: false }, 2, []);
  toolCase();
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
