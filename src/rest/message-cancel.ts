import { HTTP_STATUS } from '../transport/http-status.js';
import { refusal } from './errors.js';
import { ownedBy } from './message-view.js';
import type { RestRoute } from './route.js';
import type { RestApiOptions } from './services.js';

/** DELETE /v1/messages/:id's answer. */
export interface CancelBody {
  messageId: string;
  status: 'cancelled';
  /** Recipients cancelled by this request. */
  cancelled: number;
}

/**
 * DELETE /v1/messages/:id: withdraws what has not gone yet of one of the account's messages (a scheduled one,
 * or recipients still queued), as an MM7 CancelReq does (Queue.cancel: a recipient being delivered finishes
 * its attempt). Nothing left to withdraw: 409 too-late; another account's message is answered as unknown.
 */
export function messageCancelRoute(o: RestApiOptions): RestRoute {
  return {
    method: 'DELETE',
    path: '/v1/messages/:id',
    operation: 'cancel',
    needs: 'send',
    async handle({ vasp, params }) {
      const id = params.id!;
      const unavailable = (err: unknown): never => {
        o.log.error({ err, messageId: id }, 'message store unavailable for a cancel');
        throw refusal('store-unavailable', 'the message store is unavailable; retry later');
      };
      const m = await o.queue.message(id).catch(unavailable);
      if (!ownedBy(m, vasp)) throw refusal('message-not-found', `no message ${id} submitted by this account`);
      const r = await o.queue.cancel(id, `cancelled by the sender (REST, ${vasp.id})`).catch(unavailable);
      if (!r) throw refusal('message-not-found', `no message ${id} submitted by this account`);
      if (r.cancelled === 0)
        throw refusal(
          'too-late',
          r.inProgress > 0 ? `message ${id} is being delivered: nothing left to cancel` : `message ${id} has no recipient left to cancel`,
        );
      o.log.info({ vasp: vasp.id, messageId: id, cancelled: r.cancelled, inProgress: r.inProgress }, 'message cancelled by its sender');
      const body: CancelBody = { messageId: id, status: 'cancelled', cancelled: r.cancelled };
      return { status: HTTP_STATUS.OK, body };
    },
  };
}
