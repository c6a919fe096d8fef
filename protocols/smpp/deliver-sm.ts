// deliver_sm (SMPP 3.4 §4.6.1) read from its octets: node-smpp decodes short_message to text by data_coding,
// and the raw octets (binary, UCS2, a UDH) are not recoverable from that.

/** A deliver_sm (SMPP 3.4 §4.6.1) as received: octets untouched. */
export interface DeliverSm {
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
  shortMessage: Buffer;
  messagePayload?: Buffer;
  /** receipted_message_id TLV (0x001E), as sent. */
  receiptedMessageId?: string;
  /** message_state TLV (0x0427). */
  messageState?: number;
}

/** SMPP 3.4 §5.3.2 TLV tags read from deliver_sm. */
const TLV = {
  receipted_message_id: 0x001e, // §5.3.2.12, C-Octet String
  message_payload: 0x0424, // §5.3.2.32, Octet String
  message_state: 0x0427, // §5.3.2.35, Integer(1)
} as const;

/** A bounds-checked cursor over a PDU body. */
class BodyCursor {
  constructor(
    private readonly buf: Buffer,
    public off: number,
  ) {}

  get left(): number {
    return this.buf.length - this.off;
  }

  u8(): number {
    if (this.off >= this.buf.length) throw new RangeError('PDU body truncated');
    return this.buf[this.off++]!;
  }

  u16(): number {
    if (this.off + 2 > this.buf.length) throw new RangeError('PDU body truncated');
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  /** C-Octet String (§3.1): octets up to a NUL, read as ASCII (latin1: one char per octet). */
  cstring(): string {
    const end = this.buf.indexOf(0, this.off);
    if (end < 0) throw new RangeError('C-Octet String without its NUL');
    const s = this.buf.toString('latin1', this.off, end);
    this.off = end + 1;
    return s;
  }

  /** n octets, copied (the PDU may be a view on a larger socket chunk). */
  octets(n: number): Buffer {
    if (this.off + n > this.buf.length) throw new RangeError('PDU body truncated');
    const b = Buffer.from(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return b;
  }
}

/**
 * deliver_sm body (§4.6.1), octets untouched:
 *   service_type Cstr, source_addr_ton u8, source_addr_npi u8, source_addr Cstr, dest_addr_ton u8,
 *   dest_addr_npi u8, destination_addr Cstr, esm_class u8, protocol_id u8, priority_flag u8,
 *   schedule_delivery_time Cstr, validity_period Cstr, registered_delivery u8, replace_if_present_flag u8,
 *   data_coding u8, sm_default_msg_id u8, sm_length u8, short_message sm_length octets,
 *   then TLVs: tag u16, length u16, value (§3.1, §5.3).
 * Throws a RangeError on a truncated body.
 */
export function readDeliverSm(pdu: Buffer): DeliverSm {
  const c = new BodyCursor(pdu, 16);
  c.cstring(); // service_type
  const sourceAddrTon = c.u8();
  const sourceAddrNpi = c.u8();
  const sourceAddr = c.cstring();
  c.u8(); // dest_addr_ton
  c.u8(); // dest_addr_npi
  const destinationAddr = c.cstring();
  const esmClass = c.u8();
  c.u8(); // protocol_id
  c.u8(); // priority_flag
  c.cstring(); // schedule_delivery_time
  c.cstring(); // validity_period
  c.u8(); // registered_delivery
  c.u8(); // replace_if_present_flag
  const dataCoding = c.u8();
  c.u8(); // sm_default_msg_id
  const shortMessage = c.octets(c.u8());
  const d: DeliverSm = { sourceAddr, sourceAddrTon, sourceAddrNpi, destinationAddr, esmClass, dataCoding, shortMessage };
  while (c.left >= 4) {
    const tag = c.u16();
    const value = c.octets(c.u16());
    if (tag === TLV.message_payload) d.messagePayload = value;
    else if (tag === TLV.receipted_message_id) d.receiptedMessageId = cstringValue(value);
    else if (tag === TLV.message_state && value.length === 1) d.messageState = value[0]!;
  }
  return d;
}

const cstringValue = (b: Buffer): string => {
  const nul = b.indexOf(0);
  return b.toString('latin1', 0, nul < 0 ? b.length : nul);
};
