import { randomUUID } from 'node:crypto';
import { PapError, buildPapRequest, isPapSuccess, papCodeInfo, parsePapResponse, type PapResponse } from '../../protocols/pap/index.js';
import { MMS_CONTENT_TYPE } from '../../protocols/push/notification.js';
import { APPLICATION_ID_MMS_UA, applicationIdName } from '../../protocols/push/tables.js';
import { HttpPostError, httpPost } from '../transport/http-post.js';
import type { Logger } from '../ops/logger.js';
import { isHttpRetryable, isHttpSuccess } from '../transport/http-status.js';

export interface PapSenderConfig {
  /** The PPG's PAP endpoint, e.g. http://user:pass@ppg.example.net:8080/wappush (user info -> Basic auth). */
  url: string;
  /** Deadline for the whole exchange (connect, send, answer). */
  timeoutMs: number;
  /** The PPG's domain, written as the address-value's ppg-specifier (`...@domain`); omitted when unset. */
  addressDomain?: string;
}

export type PapSendErrorCode =
  | 'REJECTED' // the PPG answered with a PAP code that is not a success (push-response or badmessage-response)
  | 'HTTP_STATUS' // an HTTP status other than 2xx, without a PAP document to explain it
  | 'TRANSPORT' // connection refused, reset, DNS ...
  | 'TIMEOUT' // no whole answer within timeoutMs
  | 'BAD_RESPONSE'; // an answer that is not a readable PAP response (or too large)

/**
 * A push the PPG did not accept. `transient`: sending it again later may succeed (PPG overloaded, network
 * trouble, PAP 3000/4xxx); otherwise the same push will be refused again (2xxx, most 3xxx, HTTP 4xx).
 * TRANSPORT, TIMEOUT and BAD_RESPONSE are transient, and the push may have reached the PPG anyway: a retry
 * should reuse the push-id, and then a 2007 (Duplicate Push ID) means an earlier attempt got through.
 */
export class PapSendError extends Error {
  override readonly name = 'PapSendError';
  constructor(
    readonly code: PapSendErrorCode,
    message: string,
    readonly transient: boolean,
    readonly papCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Largest PPG answer read (a push-response is a few hundred bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;
const MMS_UA = applicationIdName(APPLICATION_ID_MMS_UA) ?? 'x-wap-application:mms.ua';

/**
 * WAP push of MMS PDUs through a Push Proxy Gateway over PAP 2.0 (WAP-247-PAP-20010429): one push submission
 * (§9.2) per PDU, to one subscriber, as an HTTP POST of the multipart/related request (§8.2); the PPG's
 * push-response code 1000/1001 (§9.13) means accepted. The PPG then does the WSP push over its own bearer
 * (SMS to port 2948, WAP-251-PushMessage / OMA-TS-MMS_CTR §6.1.2).
 */
export class PapSender {
  private readonly log: Logger;
  private readonly onResult: ((result: string) => void) | undefined;

  constructor(
    private readonly cfg: PapSenderConfig,
    o: { log: Logger; onResult?: (result: string) => void },
  ) {
    this.log = o.log;
    this.onResult = o.onResult;
    new URL(cfg.url); // a bad URL is a configuration error: fail at start, not per push
  }

  /** Push an encoded MMS PDU (m-notification-ind, m-delivery-ind, m-read-orig-ind) to a subscriber. */
  async send(
    address: string,
    mms: Buffer,
    o: { pushId?: string; deliverBefore?: Date } = {},
  ): Promise<{ pushId: string; code: number; description?: string }> {
    const pushId = o.pushId ?? randomUUID();
    const log = this.log.child({ iface: 'pap', pushId });
    try {
      const request = buildPapRequest(
        {
          pushId,
          address,
          ...(this.cfg.addressDomain !== undefined ? { addressDomain: this.cfg.addressDomain } : {}),
          ...(o.deliverBefore !== undefined ? { deliverBeforeTimestamp: o.deliverBefore } : {}),
          // An MMS push goes connectionless: an SMS bearer has no WSP session to confirm it over (§9.2 QoS).
          deliveryMethod: 'unconfirmed',
        },
        { contentType: MMS_CONTENT_TYPE, applicationId: MMS_UA, body: mms },
      );
      const answer = await this.post(request.contentType, request.body);
      const response = this.read(answer);
      const ok = this.judge(response);
      if (response.kind === 'push-response' && response.pushId !== pushId) {
        // Accepted all the same: refusing here would make the caller push again.
        log.warn({ answeredPushId: response.pushId }, 'PPG answered for another push-id');
      }
      log.info({ code: ok.code }, 'PPG accepted the push');
      this.onResult?.('accepted');
      return { pushId, ...ok };
    } catch (e) {
      const err = e instanceof PapSendError ? e : this.wrap(e);
      log.warn({ err: { code: err.code, message: err.message, papCode: err.papCode }, transient: err.transient }, 'PAP push not accepted');
      // 'rejected': the PPG said no (a PAP code); 'error': no PAP answer, or a push we could not write.
      this.onResult?.(err.code === 'REJECTED' && err.papCode !== undefined ? 'rejected' : 'error');
      throw err;
    }
  }

  private async post(contentType: string, body: Buffer): Promise<{ status: number; body: Buffer }> {
    try {
      return await httpPost(this.cfg.url, { 'content-type': contentType }, body, {
        timeoutMs: this.cfg.timeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
    } catch (e) {
      if (e instanceof HttpPostError) {
        if (e.code === 'TIMEOUT') throw new PapSendError('TIMEOUT', `PPG: ${e.message}`, true, undefined, { cause: e });
        if (e.code === 'ANSWER_TOO_LARGE') throw new PapSendError('BAD_RESPONSE', `PPG: ${e.message}`, true, undefined, { cause: e });
        throw new PapSendError('TRANSPORT', `PPG: ${e.message}`, true, undefined, { cause: e });
      }
      throw e;
    }
  }

  /**
   * The PAP document in the answer. PPGs answer 202 Accepted (Kannel) or 200; an error status may still carry
   * a PAP document (a badmessage-response), which then says more than the status does.
   */
  private read(answer: { status: number; body: Buffer }): PapResponse {
    const is2xx = isHttpSuccess(answer.status);
    try {
      return parsePapResponse(answer.body);
    } catch (e) {
      if (!(e instanceof PapError)) throw e;
      if (!is2xx) {
        // 5xx, 408, 429: the PPG or something before it is in trouble now; other 4xx: our request or credentials.
        const transient = isHttpRetryable(answer.status);
        throw new PapSendError('HTTP_STATUS', `PPG answered HTTP ${answer.status}`, transient, undefined, { cause: e });
      }
      throw new PapSendError(
        'BAD_RESPONSE',
        `PPG answered HTTP ${answer.status} without a readable PAP response: ${e.message}`,
        true,
        undefined,
        { cause: e },
      );
    }
  }

  private judge(r: PapResponse): { code: number; description?: string } {
    const info = papCodeInfo(r.code);
    const desc = r.description !== undefined ? `: ${r.description.slice(0, 200)}` : '';
    if (r.kind === 'badmessage-response') {
      // §9.12: the PPG could not read the request. Its code's class decides (Kannel sends 2000: permanent).
      throw new PapSendError('REJECTED', `PPG could not read the push (${r.code} ${info.name}${desc})`, info.transient, r.code);
    }
    if (!isPapSuccess(r.code))
      throw new PapSendError('REJECTED', `PPG refused the push (${r.code} ${info.name}${desc})`, info.transient, r.code);
    return { code: r.code, ...(r.description !== undefined ? { description: r.description } : {}) };
  }

  /** A push we could not even build (bad address, bad date): our input, so permanent. */
  private wrap(e: unknown): PapSendError {
    if (e instanceof PapError) return new PapSendError('REJECTED', `push not sent: ${e.message}`, false, undefined, { cause: e });
    return new PapSendError('TRANSPORT', `push failed: ${e instanceof Error ? e.message : String(e)}`, true, undefined, { cause: e });
  }
}
