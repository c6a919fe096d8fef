/**
 * The admin API's contract (ops listener, `/admin/...`): each part of it (messages, dead letters, peers,
 * reload) contributes AdminRoutes; the router matches them, checks the bearer token's role and logs every
 * action with the token's name.
 */

/** `read`: look only; `operate`: also change things (requeue, pause, cancel, reload). operate includes read. */
export type AdminRole = 'read' | 'operate';

export interface AdminCaller {
  /** The token's name from config (never the token): who did it, in logs. */
  name: string;
  role: AdminRole;
}

export interface AdminRequest {
  method: string;
  /** Path parameters of the route's pattern (`/admin/messages/:id` -> { id }), URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (POST), or undefined. */
  body: unknown;
  caller: AdminCaller;
}

export interface AdminReply {
  status: number;
  /** Serialised as JSON (unless `stream`). */
  body: unknown;
  /** A streamed answer instead of JSON (the consent export's CSV): written chunk by chunk, as the reader takes them. */
  stream?: { contentType: string; chunks: AsyncIterable<string> };
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/admin/peers/:id/pause`: segments starting with ':' are parameters. */
  pattern: string;
  /** The least role that may call it. */
  role: AdminRole;
  /** What the action is, for the audit log line ("requeue dead letters of a peer"). */
  action: string;
  /** A body that is not JSON (the consent import's CSV): its media type and largest size; the handler gets it as a string. */
  text?: { type: string; maxBytes: () => number };
  handle(req: AdminRequest): Promise<AdminReply>;
}
