// Just enough of pcapng (Section Header 0x0A0D0D0A, Interface Description 1, Enhanced Packet 6), Ethernet II,
// IPv4, TCP and SMPP v3.4 §4.4.1 submit_sm to read the submit_sm PDUs out of a loopback capture, field by
// field (test/protocols/push-vectors.test.ts against the Kannel capture; test/ops/cli.test.ts for its segments).

export interface Frame {
  /** 1-based, as tshark numbers frames. */
  number: number;
  data: Buffer;
}

export function readPcapng(buf: Buffer): { linkType: number; frames: Frame[] } {
  if (buf.readUInt32LE(0) !== 0x0a0d0d0a) throw new Error('not a pcapng file');
  const le = buf.readUInt32LE(8) === 0x1a2b3c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  let linkType = -1;
  const frames: Frame[] = [];
  for (let o = 0; o + 12 <= buf.length; ) {
    const type = u32(o);
    const length = u32(o + 4);
    if (length < 12 || o + length > buf.length) throw new Error(`bad block at ${o}`);
    if (type === 1 && linkType < 0) linkType = u16(o + 8);
    if (type === 6) frames.push({ number: frames.length + 1, data: buf.subarray(o + 28, o + 28 + u32(o + 20)) });
    o += length;
  }
  return { linkType, frames };
}

export function tcpOf(frame: Buffer): { srcPort: number; dstPort: number; payload: Buffer } | undefined {
  if (frame.readUInt16BE(12) !== 0x0800) return undefined; // Ethernet II, IPv4
  const ip = frame.subarray(14);
  if (ip[9] !== 6) return undefined;
  const ihl = (ip[0]! & 0x0f) * 4;
  const tcp = ip.subarray(ihl, ip.readUInt16BE(2));
  return { srcPort: tcp.readUInt16BE(0), dstPort: tcp.readUInt16BE(2), payload: tcp.subarray((tcp[12]! >> 4) * 4) };
}

// ---------------------------------------------------------------------------------------------------------
// SMPP v3.4 §4.4.1 submit_sm, read field by field.
// ---------------------------------------------------------------------------------------------------------

export interface SubmitSm {
  sequence: number;
  serviceType: string;
  sourceTon: number;
  sourceNpi: number;
  source: string;
  destTon: number;
  destNpi: number;
  destination: string;
  esmClass: number;
  protocolId: number;
  priorityFlag: number;
  registeredDelivery: number;
  dataCoding: number;
  smLength: number;
  shortMessage: Buffer;
  tlvs: Map<number, Buffer>;
}

export function parseSubmitSm(pdu: Buffer): SubmitSm {
  const length = pdu.readUInt32BE(0);
  if (length !== pdu.length || pdu.readUInt32BE(4) !== 0x00000004) throw new Error('not one submit_sm');
  let o = 16;
  const cstr = (): string => {
    const end = pdu.indexOf(0, o);
    const s = pdu.toString('latin1', o, end);
    o = end + 1;
    return s;
  };
  const byte = (): number => pdu[o++]!;
  const serviceType = cstr();
  const sourceTon = byte();
  const sourceNpi = byte();
  const source = cstr();
  const destTon = byte();
  const destNpi = byte();
  const destination = cstr();
  const esmClass = byte();
  const protocolId = byte();
  const priorityFlag = byte();
  cstr(); // schedule_delivery_time
  cstr(); // validity_period
  const registeredDelivery = byte();
  byte(); // replace_if_present_flag
  const dataCoding = byte();
  byte(); // sm_default_msg_id
  const smLength = byte();
  const shortMessage = pdu.subarray(o, o + smLength);
  o += smLength;
  const tlvs = new Map<number, Buffer>();
  while (o + 4 <= pdu.length) {
    const tag = pdu.readUInt16BE(o);
    const len = pdu.readUInt16BE(o + 2);
    tlvs.set(tag, pdu.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return {
    sequence: pdu.readUInt32BE(12),
    serviceType,
    sourceTon,
    sourceNpi,
    source,
    destTon,
    destNpi,
    destination,
    esmClass,
    protocolId,
    priorityFlag,
    registeredDelivery,
    dataCoding,
    smLength,
    shortMessage,
    tlvs,
  };
}

/** Every submit_sm in the capture (one PDU per TCP segment, as on loopback), in frame order. */
export function submitSms(pcapng: Buffer): (SubmitSm & { frame: number })[] {
  const out: (SubmitSm & { frame: number })[] = [];
  for (const f of readPcapng(pcapng).frames) {
    const pdu = tcpOf(f.data)?.payload;
    if (!pdu || pdu.length < 16 || pdu.readUInt32BE(4) !== 0x00000004 || pdu.readUInt32BE(0) !== pdu.length) continue;
    out.push({ frame: f.number, ...parseSubmitSm(pdu) });
  }
  return out;
}
