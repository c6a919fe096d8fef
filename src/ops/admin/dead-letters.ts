import type { DeadLetter, Queue } from '../../core/ports.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { AdminError } from './errors.js';
import { bodyString, intParam, recipientIndex, textParam } from './params.js';
import type { AdminRoute } from './types.js';

const view = (d: DeadLetter) => ({
  messageId: d.messageId,
  recipient: d.recipientIndex,
  peer: d.peer,
  attempts: d.attempts,
  error: d.error,
  at: new Date(d.at).toISOString(),
});

/** What each requeue outcome answers: requeued 200; the message expired 409; no longer stored 410; none 404. */
const REQUEUE_STATUS = {
  requeued: HTTP_STATUS.OK,
  expired: HTTP_STATUS.CONFLICT,
  gone: HTTP_STATUS.GONE,
  unknown: HTTP_STATUS.NOT_FOUND,
} as const;

const noDeadLetter = (id: string, i: number) =>
  new AdminError(HTTP_STATUS.NOT_FOUND, 'UNKNOWN_DEAD_LETTER', `no dead letter ${id} recipient ${i}`);

/**
 * The dead-letter routes of the admin API: list (by peer, by reason), inspect, requeue one or all of a peer,
 * discard. Dead letters are the jobs that used their attempts (queue.maxAttempts); a requeued one is due now
 * with fresh attempts (Queue.requeueDead).
 */
export function deadLetterRoutes(queue: Queue): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/dead-letters',
      role: 'read',
      action: 'list dead letters',
      async handle(req) {
        const peer = textParam(req.query, 'peer');
        const reason = textParam(req.query, 'reason');
        const limit = intParam(req.query, 'limit', 100, 1, 10_000);
        const list = await queue.deadLetters(limit, {
          ...(peer !== undefined ? { peer } : {}),
          ...(reason !== undefined ? { reason } : {}),
        });
        return { status: HTTP_STATUS.OK, body: { deadLetters: list.map(view) } };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/dead-letters/:messageId/:recipient',
      role: 'read',
      action: 'inspect a dead letter',
      async handle(req) {
        const id = req.params.messageId!;
        const i = recipientIndex(req.params.recipient);
        const d = await queue.deadLetter(id, i);
        if (!d) throw noDeadLetter(id, i);
        const trace = await queue.trace(id);
        const r = trace?.recipients[i];
        return {
          status: HTTP_STATUS.OK,
          body: {
            ...view(d),
            ...(trace ? { address: trace.message.recipients[i]?.address, originator: trace.message.originator.address } : {}),
            ...(r ? { state: r.state, history: r.history.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) } : { stored: false }),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/dead-letters/:messageId/:recipient/requeue',
      role: 'operate',
      action: 'requeue a dead letter',
      async handle(req) {
        const id = req.params.messageId!;
        const i = recipientIndex(req.params.recipient);
        const outcome = await queue.requeueDead(id, i);
        if (outcome === 'unknown') throw noDeadLetter(id, i);
        return { status: REQUEUE_STATUS[outcome], body: { messageId: id, recipient: i, outcome } };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/dead-letters/requeue',
      role: 'operate',
      action: 'requeue the dead letters of a peer',
      async handle(req) {
        const peer = bodyString(req.body, 'peer');
        return { status: HTTP_STATUS.OK, body: { peer, ...(await queue.requeueDeadOfPeer(peer)) } };
      },
    },
    {
      method: 'DELETE',
      pattern: '/admin/dead-letters/:messageId/:recipient',
      role: 'operate',
      action: 'discard a dead letter',
      async handle(req) {
        const id = req.params.messageId!;
        const i = recipientIndex(req.params.recipient);
        if (!(await queue.discardDead(id, i))) throw noDeadLetter(id, i);
        return { status: HTTP_STATUS.OK, body: { messageId: id, recipient: i, discarded: true } };
      },
    },
  ];
}
