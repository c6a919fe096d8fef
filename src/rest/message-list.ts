import type { CoreMessage, RecipientState } from '../core/message.js';
import type { MessageSearch, MessageSearchPage } from '../core/ports.js';
import { Refusal } from '../core/refusals.js';
import { decodeCursor, encodeCursor, type SearchPosition } from '../core/search-cursor.js';
import type { VaspConfig } from '../ops/config.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import { refusal } from './errors.js';
import { MESSAGE_STATUSES, type MessageStatus, messageStatus } from './message-status.js';
import { iso, ownedBy } from './message-view.js';
import type { RestRoute } from './route.js';
import type { RestApiOptions } from './services.js';
import { partyOf, rfc3339 } from './submit-form.js';

/** One message in GET /v1/messages. */
export interface MessageSummary {
  messageId: string;
  from: string;
  submittedAt: string;
  sendAt?: string;
  clientRef?: string;
  status: MessageStatus;
  recipients: number;
}

export interface MessageListBody {
  messages: MessageSummary[];
  /** Present when there may be more: pass it back as `cursor`. */
  next?: string;
}

/** What GET /v1/messages was asked. */
export interface ListQuery {
  status?: MessageStatus;
  recipient?: string;
  clientRef?: string;
  from: number;
  to: number;
  limit: number;
  cursor?: SearchPosition;
}

const PARAMS = new Set(['status', 'recipient', 'clientRef', 'from', 'to', 'limit', 'cursor']);
export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 100;
/**
 * Index entries one request looks at, at most, when filters (status, clientRef, another account's messages
 * to a recipient) leave most of them out: the page then ends early, with fewer messages (or none) and a
 * cursor where the look stopped. A request's cost stays bounded whatever the account's history.
 */
export const LIST_SCAN_MAX = 5 * LIST_MAX_LIMIT;

/** The interfaces an account's submissions come in by (GET /v1/messages/:id shows both). */
const ACCOUNT_IFACES = ['rest', 'mm7'] as const;

/**
 * GET /v1/messages: the account's messages, newest first, a page at a time, from the store's search index
 * (Queue.search): by account (`<iface>:<vasp id>` of the origin, for REST and MM7 submissions alike), or by
 * recipient when one is asked for (then only the account's own are shown). Status and clientRef filter what
 * the index gives, from each message and its recipients' states.
 */
export function messageListRoute(o: RestApiOptions): RestRoute {
  return {
    method: 'GET',
    path: '/v1/messages',
    operation: 'list',
    needs: 'read',
    async handle({ vasp, query }) {
      let q: ListQuery;
      try {
        q = listQuery(query);
      } catch (err) {
        if (err instanceof Refusal) throw refusal(err.code, err.message);
        throw err;
      }
      const body = await listMessages(o, vasp, q, (o.now ?? Date.now)()).catch((err: unknown) => {
        o.log.error({ err, vasp: vasp.id }, 'message list unavailable');
        throw refusal('store-unavailable', 'the message store is unavailable; retry later');
      });
      return { status: HTTP_STATUS.OK, body };
    },
  };
}

/** The query string, checked: an unknown or repeated parameter, or a value out of its range, is refused (400). */
export function listQuery(query: URLSearchParams): ListQuery {
  const seen = new Map<string, string>();
  for (const [name, value] of query) {
    if (!PARAMS.has(name)) throw new Refusal('validation-error', `unknown query parameter ${name.slice(0, 40)}`);
    if (seen.has(name)) throw new Refusal('validation-error', `query parameter ${name} given twice`);
    seen.set(name, value);
  }
  const q: ListQuery = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: LIST_DEFAULT_LIMIT };
  const status = seen.get('status');
  if (status !== undefined) {
    if (!(MESSAGE_STATUSES as readonly string[]).includes(status))
      throw new Refusal('validation-error', `status must be one of ${MESSAGE_STATUSES.join(', ')}`);
    q.status = status as MessageStatus;
  }
  const recipient = seen.get('recipient');
  if (recipient !== undefined) q.recipient = partyOf(recipient).address;
  const clientRef = seen.get('clientRef');
  if (clientRef !== undefined) q.clientRef = clientRef;
  for (const edge of ['from', 'to'] as const) {
    const text = seen.get(edge);
    if (text === undefined) continue;
    const at = rfc3339(text);
    if (at === undefined) throw new Refusal('validation-error', `${edge} must be an RFC 3339 time with an offset`);
    q[edge] = at;
  }
  const limit = seen.get('limit');
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(n >= 1 && n <= LIST_MAX_LIMIT)) throw new Refusal('validation-error', `limit must be a whole number from 1 to ${LIST_MAX_LIMIT}`);
    q.limit = n;
  }
  const cursor = seen.get('cursor');
  if (cursor !== undefined) {
    const position = cursor.length <= 512 ? decodeCursor(cursor) : undefined;
    if (!position) throw new Refusal('validation-error', 'cursor is not one this API gave');
    q.cursor = position;
  }
  return q;
}

/** A page of the account's messages (see messageListRoute). */
export async function listMessages(
  o: Pick<RestApiOptions, 'queue'>,
  vasp: VaspConfig,
  q: ListQuery,
  now: number,
): Promise<MessageListBody> {
  const sources: Array<Pick<MessageSearch, 'by' | 'address'>> =
    q.recipient !== undefined
      ? [{ by: 'recipient', address: q.recipient }]
      : ACCOUNT_IFACES.map((iface) => ({ by: 'account' as const, address: `${iface}:${vasp.id}` }));
  const messages: MessageSummary[] = [];
  let position = q.cursor;
  let scanned = 0;
  // Filters may leave out much of a page of the index: look at pages of the index until the page is full.
  const batch = q.status !== undefined || q.clientRef !== undefined || q.recipient !== undefined ? LIST_MAX_LIMIT : q.limit;
  for (;;) {
    const { hits, more } = await merged(o, sources, q, batch, position);
    const loaded = await Promise.all(hits.map((h) => load(o, h.messageId)));
    for (let i = 0; i < hits.length; i++) {
      const hit = hits[i]!;
      position = { at: hit.at, messageId: hit.messageId };
      scanned++;
      const summary = summarise(loaded[i]!, vasp, q, now);
      if (summary) messages.push(summary);
      const left = i < hits.length - 1 || more;
      if (messages.length === q.limit || (scanned >= LIST_SCAN_MAX && left))
        return left ? { messages, next: encodeCursor(position) } : { messages };
    }
    if (!more) return { messages };
  }
}

/** The next `batch` hits after `position` of every source, in the one order of the pages; `more` when there are others. */
async function merged(
  o: Pick<RestApiOptions, 'queue'>,
  sources: ReadonlyArray<Pick<MessageSearch, 'by' | 'address'>>,
  q: ListQuery,
  batch: number,
  position: SearchPosition | undefined,
): Promise<{ hits: MessageSearchPage['hits']; more: boolean }> {
  const cursor = position ? encodeCursor(position) : undefined;
  const pages = await Promise.all(
    sources.map((s) => o.queue.search({ ...s, from: q.from, to: q.to, limit: batch, ...(cursor !== undefined ? { cursor } : {}) })),
  );
  const all = pages.flatMap((p) => p.hits);
  all.sort((a, b) => b.at - a.at || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0));
  return { hits: all.slice(0, batch), more: all.length > batch || pages.some((p) => p.next !== undefined) };
}

async function load(o: Pick<RestApiOptions, 'queue'>, id: string): Promise<{ m: CoreMessage | undefined; states: RecipientState[] }> {
  const [m, states] = await Promise.all([o.queue.message(id), o.queue.states(id)]);
  return { m, states: states ?? [] };
}

/** The summary of one index hit, or undefined when it is not shown (another's, gone, or filtered out). */
function summarise(
  { m, states }: { m: CoreMessage | undefined; states: RecipientState[] },
  vasp: VaspConfig,
  q: ListQuery,
  now: number,
): MessageSummary | undefined {
  if (!ownedBy(m, vasp)) return undefined;
  if (q.clientRef !== undefined && m.sender?.clientRef !== q.clientRef) return undefined;
  const status = messageStatus(m, states, now);
  if (q.status !== undefined && status !== q.status) return undefined;
  const s: MessageSummary = {
    messageId: m.id,
    from: m.originator.address,
    submittedAt: iso(m.receivedAt),
    status,
    recipients: m.recipients.length,
  };
  if (m.earliestDeliveryAt !== undefined) s.sendAt = iso(m.earliestDeliveryAt);
  if (m.sender?.clientRef !== undefined) s.clientRef = m.sender.clientRef;
  return s;
}
