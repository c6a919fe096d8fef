import { newMessageId } from '../core/message-id.js';
import type { IntakeResult } from '../core/intake.js';
import type { CoreMessage } from '../core/message.js';
import { acceptedAnswer } from './message-status.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { vaspIntake } from '../vasp/accounts.js';
import type { RestApiOptions } from './services.js';
import { refusal, refused } from './errors.js';
import { readForm } from './form.js';
import type { RestAnswer, RestRoute } from './route.js';
import { toRestSubmission } from './submit-form.js';

/** The media type of a request, lower case, without parameters. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * POST /v1/messages as multipart/form-data: the files go to the store as they arrive (a stage under the id the
 * message will have), never whole in memory, then through the VASP intake like an MM7 SubmitReq.
 */
export function formSubmitRoute(o: RestApiOptions): RestRoute {
  return {
    method: 'POST',
    path: '/v1/messages',
    operation: 'submit',
    needs: 'send',
    idempotent: true,
    async handle({ req, vasp, ticket, body, idempotency }) {
      const type = mediaTypeOf(req.headers['content-type']);
      if (type !== 'multipart/form-data') throw refusal('unsupported-media-type', 'POST /v1/messages takes multipart/form-data');
      const messageId = newMessageId();
      const stage = o.queue.stage(messageId, 2 * o.config.requestTimeoutMs + 60_000);
      let accepted = false;
      try {
        const form = await readForm(req, o.config.maxBodyBytes, vasp.maxMessageBytes, stage, ticket, body);
        // Idempotency-Key: claimed once the body is read (its fingerprint), before anything is carried out.
        const claim = await idempotency?.claim(messageId);
        if (claim && !claim.first) return claim.replay;
        const { defaultExpiryMs, maxExpiryMs, maxRecipients } = o.config;
        let built: CoreMessage | undefined;
        // toRestSubmission's checks refuse the form itself (a Refusal, returned by the intake): nothing is stored.
        const result = await o.intake.submit({
          ...vaspIntake(vasp, o.config.requestTimeoutMs),
          messageId,
          build: (id, now) => {
            const s = toRestSubmission(form, stage, {
              vasp,
              messageId: id,
              now,
              defaultExpiryMs,
              maxExpiryMs,
              maxRecipients,
              guard: o.guard,
            });
            built = s.message;
            return s;
          },
        });
        accepted = result.ok;
        return submitAnswer(result, built);
      } finally {
        if (!accepted) {
          await idempotency?.release();
          await stage.discard();
        }
      }
    },
  };
}

/**
 * 202 with the message's id and recipients and its Location; a refusal as its REST error (Retry-After when
 * throttled). With the message as built: the answer an Idempotency-Key replay rebuilds (status, sendAt).
 */
export function submitAnswer(result: IntakeResult, message?: CoreMessage): RestAnswer {
  if (!result.ok) throw refused(result.refusal);
  if (message) return acceptedAnswer(message);
  const location = `/v1/messages/${encodeURIComponent(result.messageId)}`;
  return { status: HTTP_STATUS.ACCEPTED, body: { messageId: result.messageId, recipients: result.recipients }, headers: { location } };
}
