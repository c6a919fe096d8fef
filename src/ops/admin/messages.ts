import type { CoreMessage } from '../../core/message.js';
import type { Queue } from '../../core/ports.js';
import { SEARCH_MAX_LIMIT } from '../../core/search-cursor.js';
import { decodeCursor } from '../../core/search-cursor.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { AdminError } from './errors.js';
import { addressParam, intParam, textParam, timeParam } from './params.js';
import type { AdminRoute } from './types.js';

/** What an operator sees of a message's content: the parts' types and sizes, never the bytes. */
function contentSummary(m: CoreMessage) {
  return {
    contentType: m.contentType,
    parts: m.parts.map((p) => ({
      index: p.index,
      contentType: p.contentType,
      size: p.size,
      ...(p.contentId !== undefined ? { contentId: p.contentId } : {}),
      ...(p.contentLocation !== undefined ? { contentLocation: p.contentLocation } : {}),
    })),
    totalBytes: m.parts.reduce((n, p) => n + p.size, 0),
  };
}

const notFound = (id: string) =>
  new AdminError(HTTP_STATUS.NOT_FOUND, 'UNKNOWN_MESSAGE', `no message ${id} (unknown, or past its retention)`);

/**
 * The message routes of the admin API: trace one message (GET /admin/messages/:id), search by address in a
 * time window (GET /admin/messages), cancel (POST /admin/messages/:id/cancel).
 */
export function messageRoutes(queue: Queue, now: () => number = Date.now): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/messages/:id',
      role: 'read',
      action: 'trace a message',
      async handle(req) {
        const id = req.params.id!;
        const trace = await queue.trace(id);
        if (!trace) throw notFound(id);
        const m = trace.message;
        const dead = new Set(
          (
            await Promise.all(
              trace.recipients.map(async (r) => (r.state === 'failed' && (await queue.deadLetter(id, r.index)) ? r.index : -1)),
            )
          ).filter((i) => i >= 0),
        );
        return {
          status: HTTP_STATUS.OK,
          body: {
            id: m.id,
            receivedAt: new Date(m.receivedAt).toISOString(),
            expiresAt: new Date(m.expiresAt).toISOString(),
            origin: m.origin,
            originator: m.originator.address,
            ...(m.subject !== undefined ? { subject: m.subject } : {}),
            deliveryReport: m.deliveryReport,
            readReport: m.readReport,
            ...(m.report ? { report: { kind: m.report.kind, about: m.report.messageId, status: m.report.status } } : {}),
            content: contentSummary(m),
            recipients: trace.recipients.map((r) => ({
              index: r.index,
              address: m.recipients[r.index]?.address,
              kind: m.recipients[r.index]?.kind,
              state: r.state,
              peer: r.peer,
              attempts: r.attempt,
              notifications: r.notifications,
              ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
              ...(r.leaseUntil !== undefined ? { leasedUntil: new Date(r.leaseUntil).toISOString() } : {}),
              deadLetter: dead.has(r.index),
              history: r.history.map((e) => ({
                at: new Date(e.at).toISOString(),
                state: e.state,
                attempt: e.attempt,
                ...(e.detail ? { detail: e.detail } : {}),
              })),
            })),
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/messages',
      role: 'read',
      action: 'search messages',
      async handle(req) {
        const recipient = addressParam(req.query, 'recipient');
        const originator = addressParam(req.query, 'originator');
        if ((recipient === undefined) === (originator === undefined)) {
          throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_SEARCH', 'give exactly one of recipient= or originator= (a + written as %2B)');
        }
        const to = timeParam(req.query, 'to', now());
        const from = timeParam(req.query, 'from', 0);
        if (from > to) throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_TIME', 'from is after to');
        const limit = intParam(req.query, 'limit', 50, 1, SEARCH_MAX_LIMIT);
        const cursor = textParam(req.query, 'cursor');
        if (cursor !== undefined && !decodeCursor(cursor))
          throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_CURSOR', 'cursor: not one this API gave');
        const page = await queue.search({
          by: recipient !== undefined ? 'recipient' : 'originator',
          address: (recipient ?? originator)!,
          from,
          to,
          limit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        const messages = [];
        for (const hit of page.hits) {
          const [m, states] = await Promise.all([queue.message(hit.messageId), queue.states(hit.messageId)]);
          if (!m) continue; // past its retention, or its enqueue was refused: the index outlives it
          messages.push({
            id: m.id,
            receivedAt: new Date(m.receivedAt).toISOString(),
            originator: m.originator.address,
            recipients: m.recipients.map((r, i) => ({ address: r.address, state: states?.[i] })),
            origin: m.origin.iface,
            totalBytes: m.parts.reduce((n, p) => n + p.size, 0),
          });
        }
        return { status: HTTP_STATUS.OK, body: { messages, ...(page.next ? { next: page.next } : {}) } };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/messages/:id/cancel',
      role: 'operate',
      action: 'cancel a message',
      async handle(req) {
        const id = req.params.id!;
        const r = await queue.cancel(id, `cancelled by operator (${req.caller.name})`);
        if (!r) throw notFound(id);
        return { status: HTTP_STATUS.OK, body: { id, cancelled: r.cancelled, inProgress: r.inProgress } };
      },
    },
  ];
}
