/**
 * User Data Header (3GPP TS 23.040 §9.2.3.24): the information elements the gateway uses. A UDH is
 * UDHL (one byte: the length of what follows) then IEs of IEI, IEDL, data.
 * - 0x00 concatenated short message, 8-bit reference (§9.2.3.24.1): ref, total, sequence (1-based)
 * - 0x08 concatenated short message, 16-bit reference (§9.2.3.24.8): ref (2 bytes), total, sequence
 * - 0x05 application port addressing, 16-bit (§9.2.3.24.4): destination port, source port (WAP push:
 *   2948 <- 9200, WAP-259-WDP §6.5)
 */

export type UdhElement =
  | { kind: 'concat'; ref: number; total: number; seq: number; refBits: 8 | 16 }
  | { kind: 'ports'; destination: number; source: number }
  | { kind: 'other'; iei: number; data: Buffer };

/** Why a UDH could not be read. */
export class UdhError extends Error {
  override readonly name = 'UdhError';
  readonly code = 'BAD_UDH';
}

export const IEI_CONCAT_8 = 0x00;
export const IEI_PORTS_16 = 0x05;
export const IEI_CONCAT_16 = 0x08;

/** Bytes an element takes in a UDH (IEI + IEDL + data). */
export function elementSize(e: UdhElement): number {
  if (e.kind === 'concat') return e.refBits === 8 ? 5 : 6;
  if (e.kind === 'ports') return 6;
  return 2 + e.data.length;
}

/** The whole UDH (UDHL first) for these elements. */
export function encodeUdh(elements: readonly UdhElement[]): Buffer {
  const body: number[] = [];
  for (const e of elements) {
    if (e.kind === 'concat') {
      if (e.total < 1 || e.total > 255 || e.seq < 1 || e.seq > e.total) throw new RangeError(`concat ${e.seq}/${e.total} out of range`);
      if (e.refBits === 8) body.push(IEI_CONCAT_8, 3, e.ref & 0xff, e.total, e.seq);
      else body.push(IEI_CONCAT_16, 4, (e.ref >> 8) & 0xff, e.ref & 0xff, e.total, e.seq);
    } else if (e.kind === 'ports') {
      body.push(IEI_PORTS_16, 4, (e.destination >> 8) & 0xff, e.destination & 0xff, (e.source >> 8) & 0xff, e.source & 0xff);
    } else {
      if (e.data.length > 255) throw new RangeError('IE data over 255 bytes');
      body.push(e.iei, e.data.length, ...e.data);
    }
  }
  if (body.length > 139) throw new RangeError('UDH over 140 bytes');
  return Buffer.from([body.length, ...body]);
}

/**
 * Split user data that starts with a UDH (UDHI set) into its elements and the rest. Throws UdhError when the
 * UDHL or an IE runs past the data.
 */
export function decodeUdh(userData: Buffer): { elements: UdhElement[]; headerLength: number; rest: Buffer } {
  if (userData.length < 1) throw new UdhError('empty user data with UDHI set');
  const udhl = userData[0]!;
  if (1 + udhl > userData.length) throw new UdhError(`UDHL ${udhl} runs past the ${userData.length}-byte user data`);
  const elements: UdhElement[] = [];
  let i = 1;
  while (i < 1 + udhl) {
    if (i + 2 > 1 + udhl) throw new UdhError('truncated information element');
    const iei = userData[i]!;
    const len = userData[i + 1]!;
    const data = userData.subarray(i + 2, i + 2 + len);
    if (i + 2 + len > 1 + udhl) throw new UdhError(`IE 0x${iei.toString(16)} runs past the UDH`);
    if (iei === IEI_CONCAT_8 && len === 3) elements.push({ kind: 'concat', refBits: 8, ref: data[0]!, total: data[1]!, seq: data[2]! });
    else if (iei === IEI_CONCAT_16 && len === 4)
      elements.push({ kind: 'concat', refBits: 16, ref: data.readUInt16BE(0), total: data[2]!, seq: data[3]! });
    else if (iei === IEI_PORTS_16 && len === 4)
      elements.push({ kind: 'ports', destination: data.readUInt16BE(0), source: data.readUInt16BE(2) });
    else elements.push({ kind: 'other', iei, data: Buffer.from(data) });
    i += 2 + len;
  }
  return { elements, headerLength: 1 + udhl, rest: userData.subarray(1 + udhl) };
}
