// SMPP 3.4 §3.2 framing: a TCP byte stream cut into whole PDUs, and the PDU header.

/** Largest command_length accepted: a 64 KB message_payload and the rest of a PDU. Beyond, the stream is garbage. */
const MAX_PDU_LENGTH = 0x10000 + 0x200;

const EMPTY = Buffer.alloc(0);

/**
 * SMPP framing (§3.2): a PDU is command_length (4 octets, counting itself), then command_id, command_status,
 * sequence_number (4 octets each) and the body. Cuts a TCP byte stream into whole PDUs.
 */
export class PduReader {
  private rest: Buffer = EMPTY;

  /** Adds received octets; returns the whole PDUs. Throws on a command_length out of [16, MAX]: the stream cannot be resynchronised. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const pdus: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= 4) {
      const length = buf.readUInt32BE(off);
      if (length < 16 || length > MAX_PDU_LENGTH) throw new RangeError(`command_length ${length} out of range`);
      if (buf.length - off < length) break;
      pdus.push(buf.subarray(off, off + length));
      off += length;
    }
    this.rest = off === buf.length ? EMPTY : buf.subarray(off);
    return pdus;
  }
}

export interface Header {
  commandId: number;
  status: number;
  seq: number;
}

export const headerOf = (pdu: Buffer): Header => ({
  commandId: pdu.readUInt32BE(4),
  status: pdu.readUInt32BE(8),
  seq: pdu.readUInt32BE(12),
});
