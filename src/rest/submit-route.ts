import { newMessageId } from '../core/message-id.js';
import type { IntakeResult } from '../core/intake.js';
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
    async handle({ req, vasp, ticket }) {
      const type = mediaTypeOf(req.headers['content-type']);
      if (type !== 'multipart/form-data') throw refusal('unsupported-media-type', 'POST /v1/messages takes multipart/form-data');
      const messageId = newMessageId();
      const stage = o.queue.stage(messageId, 2 * o.config.requestTimeoutMs + 60_000);
      let accepted = false;
      try {
        const form = await readForm(req, o.config.maxBodyBytes, vasp.maxMessageBytes, stage, ticket);
        const { defaultExpiryMs, maxExpiryMs, maxRecipients } = o.config;
        // toRestSubmission's checks refuse the form itself (a Refusal, returned by the intake): nothing is stored.
        const result = await o.intake.submit({
          ...vaspIntake(vasp, o.config.requestTimeoutMs),
          messageId,
          build: (id, now) =>
            toRestSubmission(form, stage, { vasp, messageId: id, now, defaultExpiryMs, maxExpiryMs, maxRecipients, guard: o.guard }),
        });
        accepted = result.ok;
        return submitAnswer(result);
      } finally {
        if (!accepted) await stage.discard();
      }
    },
  };
}

/** 202 with the message's id and recipients and its Location; a refusal as its REST error (Retry-After when throttled). */
export function submitAnswer(result: IntakeResult): RestAnswer {
  if (!result.ok) throw refused(result.refusal);
  const location = `/v1/messages/${encodeURIComponent(result.messageId)}`;
  return {
    status: HTTP_STATUS.ACCEPTED,
    body: { messageId: result.messageId, recipients: result.recipients, status: 'accepted' },
    headers: { location },
  };
}
