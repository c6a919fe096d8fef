import { MimeError, parseContentType, parseMultipart, startPart } from '../../protocols/mime/index.js';
import { MM7_CODE, Mm7Error, namespaceFor, parseMm7, statusText, type Mm7Message } from '../../protocols/mm7/index.js';
import type { Delivery, DeliveryResult, Route } from '../core/router.js';
import type { Config, VaspConfig } from '../ops/config.js';
import { type HttpAnswer, HttpPostError, httpPost } from '../transport/http-post.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { deliverRequest, reportRequest, transactionIdFor, type OutboundContext, type OutboundRequest } from './outbound.js';

/** Largest answer read from a VASP: an MM7 response is a few hundred bytes. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Queue/throttle peer id of requests to a VASP. */
export function vaspPeer(vaspId: string): string {
  return `mm7:${vaspId}`;
}

/**
 * Everything the MMSC sends to one VASP over MM7 (TS 23.140 §8.7.5-8.7.7): DeliverReq for messages to its
 * short codes, DeliveryReportReq and ReadReplyReq for reports on what it submitted; in its configured schema
 * version, throttled as one peer. An answer other than 1000/1100 is retried, as is a VASP that cannot be
 * reached; the queue dead-letters the job with the last reason when the attempts are used up. Every attempt
 * of one request carries the same TransactionID (transactionIdFor), so that the VASP can drop a copy.
 */
export class VaspRoute implements Route {
  readonly peer: string;
  readonly limits: Route['limits'];
  private readonly schema: { namespace: string; mm7Version: string };

  constructor(
    private readonly vasp: VaspConfig & { url: string },
    private readonly o: { config: Config['mm7']; metrics: Metrics; log: Logger },
  ) {
    this.peer = vaspPeer(vasp.id);
    this.limits = { rate: vasp.deliveryRate, burst: vasp.deliveryBurst, maxInFlight: vasp.deliveryMaxInFlight };
    this.schema = namespaceFor(vasp.version);
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const ctx: OutboundContext = {
      ...this.schema,
      relayServerId: this.o.config.relayServerId,
      vaspId: this.vasp.id,
      transactionId: transactionIdFor(d.message.id, d.recipientIndex),
    };
    const report = d.message.report;
    const out: OutboundRequest = report
      ? reportRequest(d.message, ctx)
      : deliverRequest(d.message, d.recipientIndex, d.message.parts.length > 0 ? await d.content() : [], ctx);
    const operation = out.request.kind;
    const log = this.o.log.child({
      vasp: this.vasp.id,
      operation,
      messageId: report?.messageId ?? d.message.id,
      transactionId: ctx.transactionId,
    });

    let answer: HttpAnswer;
    try {
      answer = await httpPost(this.vasp.url, { 'content-type': out.contentType, soapaction: '""' }, out.body, {
        timeoutMs: this.o.config.clientTimeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      if (!(err instanceof HttpPostError)) throw err;
      this.o.metrics.outboundRequests.inc({ operation, status: 'error' });
      log.info({ code: err.code, detail: err.message }, 'VASP not reached');
      return { status: 'retry', error: `VASP ${this.vasp.id} not reached: ${err.message}` };
    }
    const status = await readStatus(answer.body, answer.headers['content-type'] ?? '');
    this.o.metrics.outboundRequests.inc({ operation, status: status ? String(status.code) : 'error' });
    if (!status) {
      log.info({ http: answer.status }, 'VASP answer unreadable');
      return { status: 'retry', error: `VASP ${this.vasp.id} answered HTTP ${answer.status} without a readable MM7 response` };
    }
    // §8.7.4: 1000 Success, 1100 Partial success (some recipients of a multi-recipient request).
    if (status.code === MM7_CODE.SUCCESS || status.code === MM7_CODE.PARTIAL_SUCCESS)
      return { status: 'delivered', detail: `VASP answered ${status.code}` };
    log.info({ status: status.code, text: status.text }, 'VASP refused');
    return { status: 'retry', error: `VASP ${this.vasp.id} answered ${status.code} ${status.text ?? statusText(status.code)}`.trim() };
  }
}

/**
 * The StatusCode of a VASP's answer: the response element's Status, or a Fault's detail (VASPErrorRsp);
 * undefined when the answer is not MM7 at all. Plain SOAP or SOAP with attachments.
 */
async function readStatus(body: Buffer, contentType: string): Promise<{ code: number; text?: string } | undefined> {
  let xml: Buffer | undefined = body;
  try {
    const type = parseContentType(contentType);
    if (type.type.startsWith('multipart/')) xml = startPart(await parseMultipart(once(body), type, { maxBytes: MAX_ANSWER_BYTES }))?.body;
  } catch (err) {
    if (!(err instanceof MimeError)) throw err;
  }
  if (!xml || xml.length === 0) return undefined;
  let msg: Mm7Message;
  try {
    msg = parseMm7(xml);
  } catch (err) {
    if (err instanceof Mm7Error) return undefined;
    throw err;
  }
  if (msg.kind === 'Fault') return msg.detail ? statusOf(msg.detail.status) : { code: MM7_CODE.SERVER_ERROR, text: msg.faultString };
  if ('status' in msg) return statusOf(msg.status);
  return undefined;
}

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

function statusOf(s: { code: number; text?: string }): { code: number; text?: string } {
  return s.text === undefined ? { code: s.code } : { code: s.code, text: s.text };
}
