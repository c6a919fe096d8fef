import { MMS_CONTENT_TYPE, PushError, WSP_PDU_TYPE, applicationIdName, parseWspPush, reassemblePush } from '../protocols/push/index.js';
import { mediaTypeOf } from '../protocols/wsp/index.js';

/** The MMS PDU inside a WAP push, and a one-line description of the envelope it came in. */
export interface UnwrappedPush {
  pdu: Buffer;
  summary: string;
}

/**
 * What `mmsc pdu decode --push` reads: a WAP push as an SMSC receives it (WAP-251-PushMessage over WAP-259-WDP),
 * either the TP-User-Data of each SMS segment (short_message with UDHI: the UDH with the 16-bit port IE, and
 * the concatenation IE when there are several, TS 23.040 §9.2.3.24), in order, or a bare connectionless WSP
 * Push PDU (WAP-230-WSP §8.2.4.1). A single input whose second octet is the Push PDU type (0x06, after the
 * TID) is taken as the bare push; a UDH has its first IE identifier there (0x05 ports, 0x00 concatenation).
 * `hex`: each input is hex text with one segment per non-empty line (spaces and colons ignored, `#` starts
 * a comment line), as SMSC logs and tshark's "Message bytes" show them. Throws PushError.
 */
export function unwrapPush(inputs: readonly Buffer[], o: { hex?: boolean } = {}): UnwrappedPush {
  const segments = o.hex ? inputs.flatMap((b) => hexLines(b.toString('utf8'))) : [...inputs];
  if (segments.length === 0) throw new PushError('INCOMPLETE', 'no segment in the input');
  let wsp: Buffer;
  const envelope: string[] = [];
  if (segments.length === 1 && segments[0]![1] === WSP_PDU_TYPE.PUSH) {
    wsp = segments[0]!;
    envelope.push('bare WSP push');
  } else {
    // Any port: the point is to see what was sent (an MMS push goes to 2948; the summary says where this went).
    const whole = reassemblePush(segments, { destinationPort: null });
    wsp = whole.pdu;
    envelope.push(`WDP ports ${whole.ports.destination}<-${whole.ports.source}`);
    envelope.push(whole.concat ? `${whole.concat.total} segments (reference ${whole.concat.ref})` : '1 segment');
  }
  const push = parseWspPush(wsp);
  const mediaType = mediaTypeOf(push.contentType);
  const app =
    push.applicationId === undefined
      ? 'none'
      : typeof push.applicationId === 'number'
        ? (applicationIdName(push.applicationId) ?? `0x${push.applicationId.toString(16)}`)
        : push.applicationId;
  const summary = `push: ${envelope.join(', ')}, TID 0x${push.tid.toString(16).padStart(2, '0')}, Content-Type ${mediaType}, X-Wap-Application-Id ${app}, ${push.data.length} octets of body`;
  if (mediaType.toLowerCase() !== MMS_CONTENT_TYPE)
    throw new PushError('BAD_NOTIFICATION', `the push carries ${mediaType}, not an MMS PDU (${MMS_CONTENT_TYPE}); ${summary}`);
  return { pdu: push.data, summary };
}

function hexLines(text: string): Buffer[] {
  const out: Buffer[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const digits = t.replace(/^0x/i, '').replace(/[\s:]/g, '');
    if (!/^([0-9a-f]{2})+$/i.test(digits)) throw new PushError('BAD_UDH', `line ${i + 1} is not hex octets: ${t.slice(0, 40)}`);
    out.push(Buffer.from(digits, 'hex'));
  });
  return out;
}
