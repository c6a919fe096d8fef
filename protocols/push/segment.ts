/**
 * A WSP push PDU as SMPP binary short messages (WAP-259-WDP §6.5 GSM SMS adaptation; 3GPP TS 23.040 §9.2.3.24).
 *
 * Every segment carries the WDP addressing in its UDH, 16-bit application ports (IEI 0x05, §9.2.3.24.4), and,
 * when the push needs more than one segment, the 8-bit concatenation IE (IEI 0x00, §9.2.3.24.1):
 *   one segment   06 05 04 0B 84 23 F0                    7-octet UDH, 133 octets of push
 *   several       0B 05 04 0B 84 23 F0 00 03 ref n k      12-octet UDH, 128 octets of push each
 * (0x0B84 = 2948, WAP push; 0x23F0 = 9200, connectionless WSP.) The user data is at most 140 octets
 * (§9.2.3.16), sent with data_coding 0x04 (8-bit binary) and esm_class UDHI 0x40 (SMPP v3.4 §5.2.12, §5.2.19).
 */
import { UdhError, decodeUdh, elementSize, encodeUdh, type UdhElement } from '../sms/udh.js';
import { PushError } from './errors.js';
import { DATA_CODING_BINARY, ESM_CLASS_UDHI, MAX_CONCAT_SEGMENTS, MAX_USER_DATA_OCTETS, WDP_PORT } from './tables.js';

export interface WdpPorts {
  destination: number;
  source: number;
}

/** The WAP push ports: 2948 on the handset, from 9200 (WAP-259-WDP Appendix B). */
export const WAP_PUSH_PORTS: Readonly<WdpPorts> = { destination: WDP_PORT.WAP_PUSH, source: WDP_PORT.WSP_CONNECTIONLESS };

/** One SMPP submit_sm worth of push. */
export interface PushSegment {
  /** The whole UDH, UDHL first. */
  udh: Buffer;
  /** The octets of the push PDU this segment carries. */
  payload: Buffer;
  /** short_message = udh ‖ payload, at most 140 octets. */
  shortMessage: Buffer;
  /** esm_class to send with: UDHI. */
  esmClass: typeof ESM_CLASS_UDHI;
  /** data_coding to send with: 8-bit binary. */
  dataCoding: typeof DATA_CODING_BINARY;
}

export interface SegmentPushOptions {
  /** The 8-bit concatenation reference (0-255); the caller picks it, unique per recipient for a while. */
  concatRef: number;
  /** Most segments allowed (default 255, the most a concatenated message can have). */
  maxSegments?: number;
}

const PORTS_UDH = 1 + elementSize({ kind: 'ports', destination: 0, source: 0 }); // 7
const CONCAT_UDH = PORTS_UDH + elementSize({ kind: 'concat', refBits: 8, ref: 0, total: 1, seq: 1 }); // 12

/** Octets of push one segment holds: alone (133) or as part of a concatenated push (128). */
export const SINGLE_SEGMENT_OCTETS = MAX_USER_DATA_OCTETS - PORTS_UDH;
export const CONCAT_SEGMENT_OCTETS = MAX_USER_DATA_OCTETS - CONCAT_UDH;

/** How many segments a push PDU of `octets` octets takes (an empty PDU still takes one). */
export function pushSegmentCount(octets: number): number {
  return octets <= SINGLE_SEGMENT_OCTETS ? 1 : Math.ceil(octets / CONCAT_SEGMENT_OCTETS);
}

/**
 * Split a WSP push PDU into short messages. Throws PushError ENCODE_INVALID for a bad reference or limit, and
 * DOES_NOT_FIT when it needs more than `maxSegments` segments.
 */
export function segmentPush(pdu: Buffer, options: SegmentPushOptions): PushSegment[] {
  const { concatRef } = options;
  const maxSegments = options.maxSegments ?? MAX_CONCAT_SEGMENTS;
  if (!Number.isInteger(concatRef) || concatRef < 0 || concatRef > 0xff)
    throw new PushError('ENCODE_INVALID', `concatenation reference ${concatRef} is not 0-255`);
  if (!Number.isInteger(maxSegments) || maxSegments < 1 || maxSegments > MAX_CONCAT_SEGMENTS) {
    throw new PushError('ENCODE_INVALID', `maxSegments ${maxSegments} is not 1-${MAX_CONCAT_SEGMENTS}`);
  }
  const total = pushSegmentCount(pdu.length);
  if (total > maxSegments) {
    throw new PushError('DOES_NOT_FIT', `a ${pdu.length}-octet push needs ${total} segments, more than the ${maxSegments} allowed`);
  }
  const ports: UdhElement = { kind: 'ports', ...WAP_PUSH_PORTS };
  if (total === 1) return [segment(encodeUdh([ports]), pdu)];
  const segments: PushSegment[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const udh = encodeUdh([ports, { kind: 'concat', refBits: 8, ref: concatRef, total, seq }]);
    segments.push(segment(udh, pdu.subarray((seq - 1) * CONCAT_SEGMENT_OCTETS, seq * CONCAT_SEGMENT_OCTETS)));
  }
  return segments;
}

function segment(udh: Buffer, payload: Buffer): PushSegment {
  return { udh, payload, shortMessage: Buffer.concat([udh, payload]), esmClass: ESM_CLASS_UDHI, dataCoding: DATA_CODING_BINARY };
}

export interface ReassembleOptions {
  /**
   * The WDP destination port every segment must carry (default 2948, WAP push); null accepts any port as long as
   * all segments agree.
   */
  destinationPort?: number | null;
}

export interface ReassembledPush {
  /** The push PDU: the payloads in sequence order (a zero-copy slice when there was one segment). */
  pdu: Buffer;
  ports: WdpPorts;
  /** The concatenation IE, when the push came in several segments (or one that carried it). */
  concat?: { ref: number; refBits: 8 | 16; total: number };
}

/**
 * Put a push back together from the user data of its short messages (UDH first, as with UDHI set), in any
 * order. Checks that each carries the 16-bit port IE with the same ports, that all carry the same concatenation
 * reference and total, and that every sequence number 1..total is there exactly once.
 */
export function reassemblePush(userData: readonly Buffer[], options: ReassembleOptions = {}): ReassembledPush {
  const wanted = options.destinationPort === undefined ? WDP_PORT.WAP_PUSH : options.destinationPort;
  if (userData.length === 0) throw new PushError('INCOMPLETE', 'no segments');
  let ports: WdpPorts | undefined;
  let concat: ReassembledPush['concat'];
  const bySeq = new Map<number, Buffer>();
  userData.forEach((ud, i) => {
    let parsed: ReturnType<typeof decodeUdh>;
    try {
      parsed = decodeUdh(ud);
    } catch (e) {
      if (e instanceof UdhError) throw new PushError('BAD_UDH', `segment ${i}: ${e.message}`, -1, { cause: e });
      throw e;
    }
    const p = parsed.elements.find((e) => e.kind === 'ports');
    if (!p) throw new PushError('BAD_UDH', `segment ${i} has no 16-bit application port IE`);
    if (!ports) {
      ports = { destination: p.destination, source: p.source };
      if (wanted !== null && p.destination !== wanted) {
        throw new PushError('WRONG_PORT', `destination port ${p.destination}, expected ${wanted}`);
      }
    } else if (p.destination !== ports.destination || p.source !== ports.source) {
      throw new PushError(
        'SEGMENT_MISMATCH',
        `segment ${i} is for ports ${p.destination}<-${p.source}, not ${ports.destination}<-${ports.source}`,
      );
    }
    const c = parsed.elements.find((e) => e.kind === 'concat');
    if (i === 0) {
      if (c) concat = { ref: c.ref, refBits: c.refBits, total: c.total };
    } else if (!c || !concat || c.ref !== concat.ref || c.refBits !== concat.refBits || c.total !== concat.total) {
      throw new PushError('SEGMENT_MISMATCH', `segment ${i} is not part of the same concatenated message`);
    }
    if (!c) {
      bySeq.set(1, parsed.rest);
      return;
    }
    if (c.seq < 1 || c.seq > c.total) throw new PushError('SEGMENT_MISMATCH', `segment ${i}: sequence ${c.seq} of ${c.total}`);
    if (bySeq.has(c.seq)) throw new PushError('SEGMENT_MISMATCH', `sequence ${c.seq} appears twice`);
    bySeq.set(c.seq, parsed.rest);
  });
  if (concat && bySeq.size !== concat.total) {
    const missing: number[] = [];
    for (let s = 1; s <= concat.total; s++) if (!bySeq.has(s)) missing.push(s);
    throw new PushError('INCOMPLETE', `missing segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${concat.total}`);
  }
  const parts: Buffer[] = [];
  for (let s = 1; s <= bySeq.size; s++) parts.push(bySeq.get(s)!);
  const out: ReassembledPush = { pdu: parts.length === 1 ? parts[0]! : Buffer.concat(parts), ports: ports! };
  if (concat) out.concat = concat;
  return out;
}
