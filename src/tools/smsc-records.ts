// What the SMSC simulator (smsc-sim.ts) records of the PDUs it receives and sends, and the decoding of a
// submit_sm's fields as node-smpp hands them over.
import type smpp from 'smpp';

export interface BindRecord {
  command: string;
  systemId: string;
  password: string;
  interfaceVersion: number;
  status: number;
  /** performance.now() when the bind arrived. */
  at: number;
}

export interface SubmitRecord {
  /** Order of arrival over the run, from 1. */
  n: number;
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  esmClass: number;
  protocolId: number;
  priorityFlag: number;
  validityPeriod: unknown;
  registeredDelivery: number;
  dataCoding: number;
  /** short_message, or message_payload when that was used; as node-smpp decoded it (text by data_coding), latin1 if it left octets. */
  text: string;
  /** The octets, when node-smpp left them undecoded (data_coding it has no text codec for, e.g. 0x04). */
  octets: Buffer | undefined;
  /** The UDH information elements (IEI, IEDL, data each; no UDHL), when esm_class had UDHI. */
  udh: Buffer[] | undefined;
  /** Whether the message came in the message_payload TLV. */
  payload: boolean;
  /** Whether short_message was empty (sm_length 0). */
  shortMessageEmpty: boolean;
  /** The user_message_reference TLV (0x0204), when sent. */
  userMessageReference: number | undefined;
  /** The answer: command_status, or undefined while unanswered (and for ever when ignored or dropped). */
  status: number | undefined;
  /** Assigned when accepted. */
  messageId: string | undefined;
}

export interface DeliveryRecord {
  kind: 'receipt' | 'mo';
  messageId?: string;
  /** The client's deliver_sm_resp command_status, once answered. */
  status?: number;
}

export interface MoOptions {
  sourceAddr: string;
  destinationAddr: string;
  octets: Buffer;
  dataCoding?: number;
  esmClass?: number;
  /** Send the octets in message_payload (short_message empty). */
  payload?: boolean;
  /** Extra TLVs by node-smpp name (receipted_message_id, message_state...). */
  tlvs?: Record<string, unknown>;
}

/** node-smpp decodes short_message / message_payload to { udh?, message }: message is text, or octets it had no codec for. */
function messageOf(v: unknown): { text: string; octets: Buffer | undefined; udh: Buffer[] | undefined } {
  const m = typeof v === 'object' && v !== null && 'message' in v ? (v as { message: unknown }).message : v;
  const raw = typeof v === 'object' && v !== null && 'udh' in v ? (v as { udh: unknown }).udh : undefined;
  const udh = Array.isArray(raw) ? raw.filter((x): x is Buffer => Buffer.isBuffer(x)) : undefined;
  if (Buffer.isBuffer(m)) return { text: m.toString('latin1'), octets: m, udh };
  return { text: typeof m === 'string' ? m : '', octets: undefined, udh };
}

export function recordOf(n: number, pdu: smpp.PDU): SubmitRecord {
  const payload = pdu.message_payload !== undefined;
  const { text, octets, udh } = messageOf(payload ? pdu.message_payload : pdu.short_message);
  const sm = messageOf(pdu.short_message);
  return {
    n,
    sourceAddr: String(pdu.source_addr),
    sourceAddrTon: Number(pdu.source_addr_ton),
    sourceAddrNpi: Number(pdu.source_addr_npi),
    destinationAddr: String(pdu.destination_addr),
    destAddrTon: Number(pdu.dest_addr_ton),
    destAddrNpi: Number(pdu.dest_addr_npi),
    esmClass: Number(pdu.esm_class),
    protocolId: Number(pdu.protocol_id),
    priorityFlag: Number(pdu.priority_flag),
    validityPeriod: pdu.validity_period,
    registeredDelivery: Number(pdu.registered_delivery),
    dataCoding: Number(pdu.data_coding),
    text,
    octets,
    udh,
    payload,
    shortMessageEmpty: (sm.octets?.length ?? sm.text.length) === 0,
    userMessageReference: pdu.user_message_reference === undefined ? undefined : Number(pdu.user_message_reference),
    status: undefined,
    messageId: undefined,
  };
}
