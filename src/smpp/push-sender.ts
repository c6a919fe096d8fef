import { randomInt } from 'node:crypto';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { buildMmsPush, buildWspPush, mmsWspPush, segmentPush, type CompactField, type PushSegment } from '../../protocols/push/index.js';
import type { SmscConfig } from '../ops/config.js';
import { submitAddresses } from './addressing.js';
import type { SmppClient } from './client.js';

export interface PushOptions {
  /** Most SMS segments a push may take (default 1: many handsets discard multi-segment pushes). */
  maxSegments?: number;
  /**
   * The job's SMS reference (smsReference): its low 8 bits are the concatenation reference, and it is sent
   * as user_message_reference, so that every push of one job carries the same. Unset: a random
   * concatenation reference and no user_message_reference.
   */
  reference?: number;
}

/**
 * WAP push of an MMS notification over SMPP (OMA-TS-MMS_ENC §6.2 carried per WAP-251 Push OTA / WAP-259
 * WDP): the m-notification-ind in a connectionless WSP push, 16-bit WDP ports 2948 <- 9200, binary
 * (data_coding 0x04, esm_class UDHI), compacted to fit `maxSegments`. The MM1 edge calls this; a failure
 * (SmppError, PushError DOES_NOT_FIT) is the caller's to map to a retry or the text fallback.
 * With a job's `reference`, every push of the job carries the same SMS references; the WSP push TID stays
 * random, because a handset may drop a push whose TID it saw lately and a re-notification must reach it
 * (the notification's own X-Mms-Transaction-ID is the same on every push: the MMS client's key).
 */
export class PushSender {
  constructor(
    private readonly smsc: SmscConfig,
    private readonly client: SmppClient,
  ) {}

  async send(address: string, notification: NotificationInd, o: PushOptions = {}): Promise<{ messageIds: string[]; dropped: CompactField[] }> {
    const push = buildMmsPush(notification, { concatRef: concatRef(o), maxSegments: o.maxSegments ?? 1, tid: randomInt(256) });
    return { messageIds: await this.submit(address, push.segments, o.reference), dropped: push.dropped };
  }

  /**
   * Push any other encoded MMS PDU to the MMS user agent (m-delivery-ind, m-read-orig-ind: OMA-TS-MMS_CTR
   * §6.1.2 sends them the same way as notifications); they are small, so up to 3 segments are allowed.
   */
  async sendPdu(address: string, mms: Buffer, o: PushOptions = {}): Promise<{ messageIds: string[] }> {
    const segments = segmentPush(buildWspPush(mmsWspPush(mms, randomInt(256))), { concatRef: concatRef(o), maxSegments: o.maxSegments ?? 3 });
    return { messageIds: await this.submit(address, segments, o.reference) };
  }

  private async submit(address: string, segments: readonly PushSegment[], reference: number | undefined): Promise<string[]> {
    const addresses = submitAddresses(this.smsc, address);
    const messageIds: string[] = [];
    for (const s of segments) {
      const r = await this.client.submit({
        ...addresses,
        esmClass: s.esmClass,
        dataCoding: s.dataCoding,
        registeredDelivery: this.smsc.registeredDelivery ? 1 : 0,
        shortMessage: s.shortMessage,
        ...(reference === undefined ? {} : { userMessageReference: reference }),
      });
      messageIds.push(r.messageId);
    }
    return messageIds;
  }
}

function concatRef(o: PushOptions): number {
  return o.reference === undefined ? randomInt(256) : o.reference & 0xff;
}
