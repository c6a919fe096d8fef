import type { IntakeResult } from '../core/intake.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { refused } from './errors.js';
import type { RestAnswer } from './route.js';

/**
 * 202 with the message's id, its recipients' count and `status` (accepted, or what `extra` says: scheduled,
 * with sendAt and clientRef when the submission had them), and its Location; a refusal as its REST error
 * (Retry-After when throttled).
 */
export function submitAnswer(result: IntakeResult, extra: Record<string, unknown> = {}): RestAnswer {
  if (!result.ok) throw refused(result.refusal);
  const location = `/v1/messages/${encodeURIComponent(result.messageId)}`;
  return {
    status: HTTP_STATUS.ACCEPTED,
    body: { messageId: result.messageId, recipients: result.recipients, status: 'accepted', ...extra },
    headers: { location },
  };
}
