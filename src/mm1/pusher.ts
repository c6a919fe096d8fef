import type { DeliveryInd, NotificationInd, ReadOrigInd } from '../../protocols/mms/index.js';
import { encodePdu, PduError } from '../../protocols/mms/index.js';
import { PushError } from '../../protocols/push/index.js';
import type { SmppEdge } from '../smpp/edge.js';
import type { ReceiptJob } from '../smpp/receipts.js';
import { SmppError } from '../smpp/errors.js';
import { isPermanentRefusal } from '../smpp/text-route.js';
import { PapSendError, type PapSender } from './pap-sender.js';

/** What the MMSC pushes to a handset's MMS user agent (OMA-TS-MMS_CTR §6.1.2, §6.1.6, §6.1.9). */
export type PushedPdu = NotificationInd | DeliveryInd | ReadOrigInd;

/**
 * A push that did not reach the bearer. `transient`: the bearer is down or busy (retry later); otherwise it
 * will never go this way (the SMSC refused the destination, the notification cannot fit one SMS...), and the
 * caller falls back to a text SMS or gives up.
 */
export class PushFailure extends Error {
  override readonly name = 'PushFailure';
  readonly code = 'PUSH_FAILED';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** The WAP push bearer: SMPP straight to an SMSC, or a Push Proxy Gateway over PAP. */
export interface WapPusher {
  /**
   * Resolves with a one-line description of what was sent (for the job's history); throws PushFailure.
   * `job`: the delivery job the push belongs to, so that a bearer's delivery receipts (SMPP) find it and
   * every push of one job carries the same references (SMPP: concatenation reference, user_message_reference).
   */
  push(address: string, pdu: PushedPdu, job?: ReceiptJob): Promise<string>;
}

/** Pushes over the SMSC that serves the address (SmppEdge's prefix rule). */
export class SmppPusher implements WapPusher {
  constructor(private readonly edge: SmppEdge | undefined) {}

  async push(address: string, pdu: PushedPdu, job?: ReceiptJob): Promise<string> {
    const sender = this.edge?.pushSender(address);
    if (!sender) throw new PushFailure(`no SMSC serves ${address}`, false);
    const o = job ? { job } : {};
    try {
      if (pdu.messageType === 'm-notification-ind') {
        const r = await sender.send(address, pdu, o);
        return `pushed over SMPP as ${r.messageIds.join(',')}${r.dropped.length > 0 ? ` (without ${r.dropped.join(', ')})` : ''}`;
      }
      const r = await sender.sendPdu(address, encodePdu(pdu), o);
      return `pushed over SMPP as ${r.messageIds.join(',')}`;
    } catch (err) {
      if (err instanceof PushError) throw new PushFailure(`push not built: ${err.message}`, false);
      if (err instanceof SmppError) {
        const status = err.commandStatus === undefined ? '' : ` (0x${err.commandStatus.toString(16).padStart(8, '0')})`;
        throw new PushFailure(`SMSC: ${err.code}${status}`, !isPermanentRefusal(err));
      }
      throw err;
    }
  }
}

/** Pushes through the operator's Push Proxy Gateway over PAP (WAP-247-PAP); the PPG picks the bearer. */
export class PapPusher implements WapPusher {
  constructor(private readonly sender: PapSender) {}

  async push(address: string, pdu: PushedPdu): Promise<string> {
    let mms: Buffer;
    try {
      mms = encodePdu(pdu);
    } catch (err) {
      if (err instanceof PduError) throw new PushFailure(`push not built: ${err.message}`, false);
      throw err;
    }
    try {
      const r = await this.sender.send(address, mms);
      return `pushed to the PPG (push-id ${r.pushId}, PAP ${r.code})`;
    } catch (err) {
      if (err instanceof PapSendError)
        throw new PushFailure(`PPG: ${err.code}${err.papCode !== undefined ? ` (PAP ${err.papCode})` : ''}: ${err.message}`, err.transient);
      throw err;
    }
  }
}
