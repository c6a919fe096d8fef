import type { IntakeResult } from '../core/intake.js';
import type { CoreMessage } from '../core/message.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { refused } from './errors.js';
import { acceptedAnswer } from './message-status.js';
import type { RestAnswer } from './route.js';

/**
 * 202 with the message's id, its recipients' count and `status` (accepted, or scheduled with sendAt), its
 * clientRef, and its Location; a refusal as its REST error (Retry-After when throttled). With the message as
 * built, the answer is the one an Idempotency-Key replay rebuilds from the stored message (acceptedAnswer).
 */
export function submitAnswer(result: IntakeResult, message?: CoreMessage): RestAnswer {
  if (!result.ok) throw refused(result.refusal, result.details);
  if (message) return acceptedAnswer(message);
  const location = `/v1/messages/${encodeURIComponent(result.messageId)}`;
  return {
    status: HTTP_STATUS.ACCEPTED,
    body: { messageId: result.messageId, recipients: result.recipients, status: 'accepted' },
    headers: { location },
  };
}
