// Just enough of pcapng (Section Header 0x0A0D0D0A, Interface Description 1, Enhanced Packet 6), Ethernet II,
// IPv4, TCP and SMPP v3.4 §4.4.1 submit_sm to take the short messages out of a loopback capture (the same
// reading as test/push-vectors.test.ts, for tests that only need the segments).

export interface Frame {
  /** 1-based, as tshark numbers frames. */
  number: number;
  data: Buffer;
}

export function readPcapng(buf: Buffer): Frame[] {
  if (buf.readUInt32LE(0) !== 0x0a0d0d0a) throw new Error('not a pcapng file');
  const le = buf.readUInt32LE(8) === 0x1a2b3c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const frames: Frame[] = [];
  for (let o = 0; o + 12 <= buf.length; ) {
    const type = u32(o);
    const length = u32(o + 4);
    if (length < 12 || o + length > buf.length) throw new Error(`bad block at ${o}`);
    if (type === 6) frames.push({ number: frames.length + 1, data: buf.subarray(o + 28, o + 28 + u32(o + 20)) });
    o += length;
  }
  return frames;
}

/** The TCP payload of an Ethernet II / IPv4 frame, or undefined for anything else. */
export function tcpPayload(frame: Buffer): Buffer | undefined {
  if (frame.readUInt16BE(12) !== 0x0800) return undefined;
  const ip = frame.subarray(14);
  if (ip[9] !== 6) return undefined;
  const tcp = ip.subarray((ip[0]! & 0x0f) * 4, ip.readUInt16BE(2));
  return tcp.subarray((tcp[12]! >> 4) * 4);
}

export interface CapturedSubmit {
  frame: number;
  destination: string;
  esmClass: number;
  shortMessage: Buffer;
}

/** Every submit_sm in the capture (one PDU per TCP segment, as on loopback), in frame order. */
export function submitSms(pcapng: Buffer): CapturedSubmit[] {
  const out: CapturedSubmit[] = [];
  for (const f of readPcapng(pcapng)) {
    const pdu = tcpPayload(f.data);
    if (!pdu || pdu.length < 16 || pdu.readUInt32BE(4) !== 0x00000004 || pdu.readUInt32BE(0) !== pdu.length) continue;
    let o = 16;
    const cstr = (): string => {
      const end = pdu.indexOf(0, o);
      const s = pdu.toString('latin1', o, end);
      o = end + 1;
      return s;
    };
    cstr(); // service_type
    o += 2; // source_addr_ton, source_addr_npi
    cstr(); // source_addr
    o += 2; // dest_addr_ton, dest_addr_npi
    const destination = cstr();
    const esmClass = pdu[o]!;
    o += 3; // esm_class, protocol_id, priority_flag
    cstr(); // schedule_delivery_time
    cstr(); // validity_period
    o += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
    const smLength = pdu[o++]!;
    out.push({ frame: f.number, destination, esmClass, shortMessage: pdu.subarray(o, o + smLength) });
  }
  return out;
}
