import { newMessageId } from '../core/message-id.js';
import type { CoreMessage } from '../core/message.js';
import { vaspIntake } from '../vasp/accounts.js';
import type { RestApiOptions } from './services.js';
import { RestError, refusal, refused } from './errors.js';
import { readForm } from './form.js';
import type { RestAnswer, RestRequest, RestRoute } from './route.js';
import { submitAnswer } from './submit-answer.js';
import { toRestSubmission } from './submit-form.js';
import { emitAll, submitJson } from './submit-json.js';

export { submitAnswer };

/** The media type of a request, lower case, without parameters. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * POST /v1/messages: application/json (src/rest/submit-json.ts: media by URL or upload id) or
 * multipart/form-data (the files in the request), by the request's media type; both through the VASP intake
 * like an MM7 SubmitReq, both taking an Idempotency-Key.
 */
export function formSubmitRoute(o: RestApiOptions): RestRoute {
  return {
    method: 'POST',
    path: '/v1/messages',
    operation: 'submit',
    needs: 'send',
    idempotent: true,
    async handle(r) {
      const type = mediaTypeOf(r.req.headers['content-type']);
      if (type !== 'application/json' && type !== 'multipart/form-data')
        throw refusal('unsupported-media-type', 'POST /v1/messages takes application/json or multipart/form-data');
      const format = type === 'application/json' ? 'json' : 'form';
      try {
        const answer = await (format === 'json' ? submitJson(o, r) : submitForm(o, r));
        const status = (answer.body as { status?: unknown } | undefined)?.status;
        o.metrics.restSubmissions.inc({ format, outcome: status === 'scheduled' ? 'scheduled' : 'accepted' });
        return answer;
      } catch (err) {
        const code = err instanceof RestError ? err.details.refusal : undefined;
        o.metrics.restSubmissions.inc({ format, outcome: typeof code === 'string' ? code : 'error' });
        throw err;
      }
    },
  };
}

/**
 * The form: its files go to the store as they arrive (a stage under the id the message will have), never
 * whole in memory, then through the VASP intake.
 */
async function submitForm(o: RestApiOptions, { req, vasp, ticket, idempotency, body }: RestRequest): Promise<RestAnswer> {
  const messageId = newMessageId();
  const stage = o.queue.stage(messageId, 2 * o.config.requestTimeoutMs + 60_000);
  let accepted = false;
  let claimed = false;
  try {
    const form = await readForm(req, o.config.maxBodyBytes, vasp.maxMessageBytes, stage, ticket, body);
    // Idempotency-Key: claimed once the body is read (its fingerprint), before anything is carried out.
    const claim = await idempotency?.claim(messageId);
    if (claim && !claim.first) return claim.replay;
    claimed = claim !== undefined;
    const { defaultExpiryMs, maxExpiryMs, maxRecipients } = o.config;
    // toRestSubmission's checks refuse the form itself (a Refusal, returned by the intake): nothing is stored.
    let built: CoreMessage | undefined;
    const result = await o.intake.submit({
      ...vaspIntake(vasp, o.config.requestTimeoutMs),
      messageId,
      build: (id, now) => {
        const s = toRestSubmission(form, stage, { vasp, messageId: id, now, defaultExpiryMs, maxExpiryMs, maxRecipients, guard: o.guard });
        built = s.message;
        return s;
      },
    });
    if (!result.ok) throw refused(result.refusal, result.details);
    accepted = true;
    if (built) await emitAll(o, built, built.earliestDeliveryAt !== undefined ? 'scheduled' : 'queued');
    // The answer an Idempotency-Key replay rebuilds from the stored message, byte for byte.
    return submitAnswer(result, built);
  } finally {
    if (!accepted) {
      await stage.discard();
      if (claimed) await idempotency?.release().catch((err: unknown) => o.log.warn({ err, vasp: vasp.id }, 'idempotency key not released'));
    }
  }
}
