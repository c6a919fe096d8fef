// Public WAP push vectors (conformance/vectors/push/, see SOURCES.md) decoded with protocols/push and protocols/mms,
// each field held against what the capture's tshark 4.0.17 decode says, written out by hand below with the file
// and frame it comes from.
//
// - kannel-ppg-capture/kannel-ppg-smpp-mms-notification.pcapng (+ .tshark.txt): Kannel 1.4.5's PPG pushing an
//   m-notification-ind over SMPP, twice, each as two concatenated submit_sm. Read with a small pcapng reader.
// - smpp-client-traces/*.txt (github.com/aristotelis-metsinis/smpp-client): tshark text only, the hex cut after
//   36 octets, so only the UDH and the start of the WSP header can be decoded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { decodeUdh } from '../../protocols/sms/index.js';
import { PushError, buildMmsPush, parseMmsPush, parseWspPush, reassemblePush } from '../../protocols/push/index.js';
import { VECTORS } from '../helpers/paths.js';
import { parseSubmitSm, readPcapng, tcpOf, type SubmitSm } from '../helpers/pcapng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const pushDir = join(VECTORS, 'push');

const capture = readPcapng(readFileSync(join(pushDir, 'kannel-ppg-capture', 'kannel-ppg-smpp-mms-notification.pcapng')));

function submitSmOfFrame(n: number): SubmitSm {
  const tcp = tcpOf(capture.frames[n - 1]!.data)!;
  return parseSubmitSm(tcp.payload);
}

/** The m-notification-ind both pushes carry: kannel-ppg-smpp-mms-notification.pcapng.tshark.txt, frames 20 and 36. */
const KANNEL_NOTIFICATION: NotificationInd = {
  messageType: 'm-notification-ind', // X-Mms-Message-Type: m-notification-ind (0x82)
  transactionId: 'wLJeT7THu', // X-Mms-Transaction-ID: wLJeT7THu
  mmsVersion: '1.0', // X-Mms-MMS-Version: 1.0
  from: '15551230000/TYPE=PLMN', // From: 15551230000/TYPE=PLMN
  messageClass: 'Personal', // X-Mms-Message-Class: Personal (0x80)
  messageSize: 23069, // X-Mms-Message-Size: 23069
  expiry: 259200, // X-Mms-Expiry: 259200.000000000 seconds
  contentLocation: 'http://mmsc11:10021/mmsc/1_1?wLJeT7THu', // X-Mms-Content-Location: ...
};

t.test('Kannel PPG capture: the pcapng itself', async (t) => {
  t.equal(capture.linkType, 1, 'Ethernet (tshark: "Ethernet II")');
  t.equal(capture.frames.length, 47, 'tshark lists frames up to 43 and the capture has 47');
  // Frame 18: "Transmission Control Protocol, Src Port: 37958, Dst Port: 9900, Seq: 36, Ack: 24, Len: 208"
  const tcp = tcpOf(capture.frames[17]!.data)!;
  t.same([tcp.srcPort, tcp.dstPort, tcp.payload.length], [37958, 9900, 208]);
});

t.test('Kannel PPG capture, push 1 (frames 18 and 20): submit_sm, UDH, WSP push, m-notification-ind', async (t) => {
  const first = submitSmOfFrame(18);
  const second = submitSmOfFrame(20);
  // Frame 18: "Command: Submit_sm, Seq: 2, Len: 208"; Frame 20: "Seq: 3, Len: 96".
  t.equal(first.sequence, 2);
  t.equal(second.sequence, 3);
  for (const sm of [first, second]) {
    t.equal(sm.serviceType, '', 'Service type: (Default)');
    t.same([sm.sourceTon, sm.sourceNpi, sm.source], [0x02, 0x01, '1234'], 'originator National, ISDN, 1234');
    t.same([sm.destTon, sm.destNpi, sm.destination], [0x01, 0x01, '4912345678'], 'recipient International, ISDN, 4912345678');
    t.equal(sm.esmClass, 0x43, 'Messaging mode: Store and forward mode (0x3), GSM features: UDHI indicator (0x1)');
    t.equal(sm.protocolId, 0x00, 'Protocol id.: 0x00');
    t.equal(sm.registeredDelivery, 0x00, 'No SMSC delivery receipt requested');
    t.equal(sm.dataCoding, 0x04, 'Data coding: Octet unspecified (8-bit binary) (0x04)');
  }
  t.equal(first.smLength, 140, 'Message length: 140');
  t.equal(second.smLength, 33, 'Message length: 33');
  t.same(first.tlvs.get(0x0426), hex('01'), 'more_messages_to_send (0x0426): More messages -default- (1)');
  t.equal(second.tlvs.size, 0);
  t.same(
    second.shortMessage,
    hex('0b05040b8423f00003000202312f6d6d73632f315f313f774c4a65543754487500'),
    'Message bytes (frame 20, shown whole)',
  );
  t.same(
    first.shortMessage.subarray(0, 36),
    hex('0b05040b8423f000030002010006356170706c69636174696f6e2f766e642e7761702e6d'),
    'Message bytes (frame 18, as far as shown)',
  );

  // "User Data Header Length: 11", ports 2948 <- 9200, "Message identifier: 0", "Message parts: 2", "part number: 1|2".
  const udh1 = decodeUdh(first.shortMessage);
  const udh2 = decodeUdh(second.shortMessage);
  t.equal(udh1.headerLength, 12);
  t.same(udh1.elements, [
    { kind: 'ports', destination: 2948, source: 9200 },
    { kind: 'concat', refBits: 8, ref: 0, total: 2, seq: 1 },
  ]);
  t.same(udh2.elements[1], { kind: 'concat', refBits: 8, ref: 0, total: 2, seq: 2 });
  // "[2 Short Message fragments (149 bytes): #18(128), #20(21)]"
  t.same([udh1.rest.length, udh2.rest.length], [128, 21]);
  const whole = reassemblePush([second.shortMessage, first.shortMessage]);
  t.equal(whole.pdu.length, 149, 'Reassembled Short Message length: 149');
  t.same(whole.concat, { ref: 0, refBits: 8, total: 2 });

  // "Transaction ID: 0x00", "PDU Type: Push (0x06)", "Headers Length: 53", Content-Type as text ("Header name:
  // Unknown (97)": the first octet is 'a'), then User-Agent: curl/7.88.1, Accept: */*, X-Wap-Application-Id:
  // x-wap-application:mms.ua, Content-Length: 93, Encoding-Version: 1.3.
  const push = parseWspPush(whole.pdu);
  t.equal(push.tid, 0x00);
  t.equal(whole.pdu[1], 0x06);
  t.equal(push.headersLength, 53);
  t.equal(whole.pdu[3], 97);
  t.same(push.contentType, { mediaType: 'application/vnd.wap.mms-message' });
  t.equal(push.applicationId, 4);
  t.same(push.headers, [
    { code: 0x29, value: hex(`${ascii('curl/7.88.1')} 00`) }, // User-Agent (41)
    { code: 0x00, value: hex('80') }, // Accept (0): Short-integer 0 = */*
    { code: 0x0d, value: hex('DD') }, // Content-Length (13): 93
    { code: 0x43, value: hex('93') }, // Encoding-Version (67): 1.3
  ]);
  t.equal(push.data.length, 93, 'the body is Content-Length: 93 octets');

  const parsed = parseMmsPush([first.shortMessage, second.shortMessage]);
  t.same(parsed.notification, KANNEL_NOTIFICATION);
  t.same(parsed.ports, { destination: 2948, source: 9200 });
});

t.test('Kannel PPG capture, push 2 (frames 33 and 36): no User-Agent or Accept, TID 1', async (t) => {
  const first = submitSmOfFrame(33);
  const second = submitSmOfFrame(36);
  t.same([first.sequence, second.sequence], [4, 5]);
  t.equal(first.destination, '4912345679', 'Recipient address: 4912345679');
  t.same([first.smLength, second.smLength], [140, 18]);
  t.same(second.shortMessage, hex('0b05040b8423f00003010202543754487500'), 'Message bytes (frame 36, shown whole)');
  t.same(decodeUdh(first.shortMessage).elements[1], { kind: 'concat', refBits: 8, ref: 1, total: 2, seq: 1 }, 'Message identifier: 1');
  const whole = reassemblePush([first.shortMessage, second.shortMessage]);
  t.equal(whole.pdu.length, 134, 'Reassembled Short Message length: 134 (#33(128), #36(6))');
  const push = parseWspPush(whole.pdu);
  t.equal(push.tid, 0x01, 'Transaction ID: 0x01');
  t.equal(push.headersLength, 38, 'Headers Length: 38');
  t.equal(push.applicationId, 4);
  t.same(push.headers, [
    { code: 0x0d, value: hex('DD') },
    { code: 0x43, value: hex('93') },
  ]);
  t.same(parseMmsPush([second.shortMessage, first.shortMessage]).notification, KANNEL_NOTIFICATION);
});

t.test('Kannel PPG capture: our push of the same notification', async (t) => {
  const first = submitSmOfFrame(18);
  const second = submitSmOfFrame(20);
  const kannelMms = parseWspPush(reassemblePush([first.shortMessage, second.shortMessage]).pdu).data;
  const ours = buildMmsPush(KANNEL_NOTIFICATION, { concatRef: 0, tid: 0 });
  t.same(ours.mms, kannelMms, 'protocols/mms encodes the decoded model to the very octets Kannel sent (mmsd mms_m_notify_ind_2.mms)');
  t.same(ours.dropped, []);
  // Kannel spends 53 octets of WSP headers and needs two segments; ours take 3 and one.
  t.equal(ours.wsp.length, 3 + 3 + 93);
  t.equal(ours.segments.length, 1);
  t.same(ours.segments[0]!.shortMessage.subarray(0, 13), hex('06 05 04 0B 84 23 F0 00 06 03 BE AF 84'));
});

// ---------------------------------------------------------------------------------------------------------
// smpp-client traces: tshark text only.
// ---------------------------------------------------------------------------------------------------------

/** m-notification-ind.txt (decoded fields, written out by hand). */
const TRACE_NOTIFICATION: NotificationInd = {
  messageType: 'm-notification-ind', // X-Mms-Message-Type: m-notification-ind (0x82)
  transactionId: '37493', // X-Mms-Transaction-ID: 37493
  mmsVersion: '1.0', // X-Mms-MMS-Version: 1.0
  from: 'made by Aristotelis', // From: made by Aristotelis
  subject: 'hello world', // Subject: hello world
  messageClass: 'Personal', // X-Mms-Message-Class: Personal (0x80)
  messageSize: 1038694, // X-Mms-Message-Size: 1038694
  expiry: 259200, // X-Mms-Expiry: 259200.000000000 seconds
  contentLocation: 'http://127.0.0.1:8080/sample.mms?seed=77', // X-Mms-Content-Location
};

t.test('smpp-client trace m-notification-ind.txt: what the cut hex shows', async (t) => {
  const text = readFileSync(join(pushDir, 'smpp-client-traces', 'm-notification-ind.txt'), 'utf8');
  const shown = /Message bytes: ([0-9a-f]+)…/.exec(text);
  t.ok(shown, 'the trace shows the start of the message bytes');
  t.match(text, /Message length: 152\n/);
  const prefix = hex(shown![1]!);
  t.equal(prefix.length, 36);
  // "UDH Length: 6", "Destination port: 2948", "Source port: 9200".
  const udh = decodeUdh(prefix);
  t.equal(udh.headerLength, 7);
  t.same(udh.elements, [{ kind: 'ports', destination: 2948, source: 9200 }]);
  // "Transaction ID: 0x00", "PDU Type: Push (0x06)", "Headers Length: 36": more than the 26 header octets shown.
  t.same(udh.rest.subarray(0, 3), hex('00 06 24'));
  try {
    parseWspPush(udh.rest);
    t.fail('a cut push parsed');
  } catch (e) {
    t.ok(e instanceof PushError && e.code === 'LENGTH_OVERFLOW' && e.offset === 2, 'HeadersLen past the cut: LENGTH_OVERFLOW at 2');
  }
  // The 36 header octets are determined by the decode: Content-Type in general form, 1F 20 (Length-quote, 32)
  // and the 31-character text with its NUL (34 octets, the start of which the cut hex shows), then "Integer
  // lookup: X-Wap-Application-Id ... x-wap-application:mms.ua", the 2 octets AF 84. 1+1+32+2 = 36.
  const header = hex(`1F 20 ${ascii('application/vnd.wap.mms-message')} 00 AF 84`);
  t.equal(header.length, 36);
  t.same(header.subarray(0, udh.rest.length - 3), udh.rest.subarray(3), 'agrees with the octets shown');
  const push = parseWspPush(Buffer.concat([udh.rest.subarray(0, 3), header]));
  t.same([push.tid, push.headersLength, push.contentType.mediaType, push.applicationId], [0, 36, 'application/vnd.wap.mms-message', 4]);
  // Its short_message is 152 octets: over the 140 of TS 23.040 §9.2.3.16 (an SMSC must refuse or cut it).
  // 152 - 7 (UDH) - 3 - 36 = 106 octets of MMS PDU. Ours: the same notification in one SMS.
  const ours = buildMmsPush(TRACE_NOTIFICATION, { concatRef: 0 });
  t.same(ours.dropped, []);
  t.equal(ours.segments.length, 1);
  t.ok(ours.segments[0]!.shortMessage.length <= 140, `ours: ${ours.segments[0]!.shortMessage.length} octets`);
  t.same(parseMmsPush([ours.segments[0]!.shortMessage]).notification, TRACE_NOTIFICATION);
});

t.test('smpp-client trace m-notification-ind_optional-parameter_message-payload.txt: no octets at all', async (t) => {
  const text = readFileSync(join(pushDir, 'smpp-client-traces', 'm-notification-ind_optional-parameter_message-payload.txt'), 'utf8');
  // The push went in message_payload (0x0424, 326 octets) with short_message empty: one SMPP PDU that the SMSC
  // must split. The trace shows no octets, so there is nothing to decode; what it says is checked, and that our
  // push of the first trace's notification needs no message_payload.
  t.match(text, /Message length: 0\n/);
  t.match(text, /Optional parameter: message_payload \(0x0424\)\n\s+Tag: 0x0424\n\s+Length: 326\n/);
  t.match(text, /GSM features: UDHI indicator \(0x1\)/);
  t.notMatch(text, /Message bytes:/);
  t.ok(buildMmsPush(TRACE_NOTIFICATION, { concatRef: 0 }).segments.every((s) => s.shortMessage.length <= 140));
});
