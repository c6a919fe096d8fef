// What an SMSC simulator's submit_sm carried, as a handset would see it: the MMS PDU of a WAP push once its
// last segment arrives, or the text of an SMS. Pushes are WDP over SMS (WAP-259-WDP §6.5: a UDH with the
// 16-bit port IE, and the concatenation IE when segmented, 3GPP TS 23.040 §9.2.3.24), the WSP push PDU
// (WAP-230 §8.2.4.1) around an MMS PDU (OMA-TS-MMS_ENC).
import { decodePdu, type MmsPdu } from '../../protocols/mms/index.js';
import { parseWspPush, reassemblePush } from '../../protocols/push/index.js';
import type { SubmitRecord } from './smsc-records.js';
import { userData } from './handset.js';

/** What one submit_sm completed. */
export type Arrival =
  | { kind: 'push'; to: string; pdu: MmsPdu }
  /** A push that cannot be decoded (wrong port, bad WSP or MMS PDU): why. */
  | { kind: 'bad-push'; to: string; error: string }
  | { kind: 'sms'; to: string; text: string }
  /** A segment of a push whose other segments have not all arrived. */
  | { kind: 'segment'; to: string };

/** Segments waiting for the rest of their push, by destination and concatenation reference. */
export class PushAssembler {
  private readonly pending = new Map<string, Buffer[]>();

  /** The submit's arrival: a whole push or SMS, or a segment kept until its push is complete. */
  add(s: SubmitRecord): Arrival {
    const to = `+${s.destinationAddr.replace(/^\+/, '')}`;
    if (s.udh === undefined || s.octets === undefined || !s.udh.some((ie) => ie[0] === 0x05)) return { kind: 'sms', to, text: s.text };
    const concat = s.udh.find((ie) => ie[0] === 0x00 || ie[0] === 0x08);
    let segments = [userData(s)];
    if (concat) {
      // 0x00: IEI, IEDL 3, ref, total, seq; 0x08: IEI, IEDL 4, ref (2 octets), total, seq.
      const total = concat[0] === 0x00 ? concat[3]! : concat[4]!;
      const key = `${s.destinationAddr} ${concat.subarray(2, concat[0] === 0x00 ? 3 : 4).toString('hex')}`;
      const list = this.pending.get(key) ?? [];
      list.push(segments[0]!);
      if (list.length < total) {
        this.pending.set(key, list);
        return { kind: 'segment', to };
      }
      this.pending.delete(key);
      segments = list;
    }
    try {
      return { kind: 'push', to, pdu: decodePdu(parseWspPush(reassemblePush(segments).pdu).data) };
    } catch (e) {
      return { kind: 'bad-push', to, error: (e as Error).message };
    }
  }
}
