import { randomInt } from 'node:crypto';
import type { NotificationInd } from '../../protocols/mms/index.js';
import { buildMmsPush, buildWspPush, mmsWspPush, segmentPush, type CompactField, type PushSegment } from '../../protocols/push/index.js';
import type { SmscConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { CorrelationStore } from '../core/ports.js';
import { submitAddresses } from './addressing.js';
import type { SmppClient } from './client.js';
import { rememberSubmits, type ReceiptJob } from './receipts.js';
import { jobReference } from './reference.js';

export interface PushOptions {
  /** Most SMS segments a push may take (default 1: many handsets discard multi-segment pushes). */
  maxSegments?: number;
  /**
   * The delivery job the push is for. The SMSC message ids of its segments are remembered, so that their
   * delivery receipts are noted in that job's history, as for text SMS; and the job's SMS reference
   * (smsReference: its low 8 bits the concatenation reference, all 16 sent as user_message_reference) is
   * the same on every push of the job. Unset: a random concatenation reference, no user_message_reference.
   */
  job?: ReceiptJob;
}

/**
 * WAP push of an MMS notification over SMPP (OMA-TS-MMS_ENC §6.2 carried per WAP-251 Push OTA / WAP-259
 * WDP): the m-notification-ind in a connectionless WSP push, 16-bit WDP ports 2948 <- 9200, binary
 * (data_coding 0x04, esm_class UDHI), compacted to fit `maxSegments`. The MM1 edge calls this; a failure
 * (SmppError, PushError DOES_NOT_FIT) is the caller's to map to a retry or the text fallback.
 * Given its job, every push of the job carries the same SMS references (jobReference); the WSP push TID stays
 * random, because a handset may drop a push whose TID it saw lately and a re-notification must reach it
 * (the notification's own X-Mms-Transaction-ID is the same on every push: the MMS client's key).
 */
export class PushSender {
  constructor(
    private readonly smsc: SmscConfig,
    private readonly client: SmppClient,
    /** Where the SMSC message ids of a push for a job are remembered (unset: receipts are not matched). */
    private readonly receipts?: { correlations: CorrelationStore; log: Logger },
  ) {}

  async send(
    address: string,
    notification: NotificationInd,
    o: PushOptions = {},
  ): Promise<{ messageIds: string[]; dropped: CompactField[] }> {
    const push = buildMmsPush(notification, { concatRef: concatRef(o), maxSegments: o.maxSegments ?? 1, tid: randomInt(256) });
    return { messageIds: await this.submit(address, push.segments, o.job), dropped: push.dropped };
  }

  /**
   * Push any other encoded MMS PDU to the MMS user agent (m-delivery-ind, m-read-orig-ind: OMA-TS-MMS_CTR
   * §6.1.2 sends them the same way as notifications); they are small, so up to 3 segments are allowed.
   */
  async sendPdu(address: string, mms: Buffer, o: PushOptions = {}): Promise<{ messageIds: string[] }> {
    const segments = segmentPush(buildWspPush(mmsWspPush(mms, randomInt(256))), {
      concatRef: concatRef(o),
      maxSegments: o.maxSegments ?? 3,
    });
    return { messageIds: await this.submit(address, segments, o.job) };
  }

  private async submit(address: string, segments: readonly PushSegment[], job: ReceiptJob | undefined): Promise<string[]> {
    const reference = job === undefined ? undefined : jobReference(job);
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
    if (job && this.receipts && this.smsc.registeredDelivery)
      await rememberSubmits(this.receipts.correlations, this.smsc.id, messageIds, job, this.receipts.log);
    return messageIds;
  }
}

function concatRef(o: PushOptions): number {
  return o.job === undefined ? randomInt(256) : jobReference(o.job) & 0xff;
}
