import { Deadline } from './deadline.js';
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OutboundRefusal, type OutboundGuard } from './outbound-guard.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpPostOptions {
  timeoutMs: number;
  /** An answer body longer than this is cut off and the request fails (a peer cannot fill our memory). */
  maxAnswerBytes: number;
  /**
   * For a URL a client chose: every URL requested (the first and each redirect) is checked by the guard,
   * its host resolved once, and the connection made to the checked addresses only.
   */
  guard?: OutboundGuard;
  /** With `guard`: the URL prefixes the client's account is limited to (each redirect must stay under them too). */
  prefixes?: readonly string[];
  /**
   * 307/308 redirects followed (same method and body, RFC 9110 §15.4.8-9), at most this many; default 0.
   * Other 3xx, and a 307/308 past the limit, are answered as they are.
   */
  maxRedirects?: number;
}

/** Why an outbound request did not get an answer: connect/transport error, timeout, an oversized answer, or a URL the guard refused (permanent). */
export class HttpPostError extends Error {
  override readonly name = 'HttpPostError';
  constructor(
    readonly code: 'TRANSPORT' | 'TIMEOUT' | 'ANSWER_TOO_LARGE' | 'REFUSED',
    message: string,
  ) {
    super(message);
  }
}

const FOLLOWED = new Set([307, 308]);

/**
 * POST a body to an http: or https: URL and read the whole answer, within a deadline for everything
 * (lookups, connects, redirects, answers). User info in the URL (http://user:pass@host/) becomes HTTP
 * Basic credentials: VASPs give their MM7 URL that way (a guarded URL may not have any). Credentials are
 * not sent on to another origin when redirected.
 */
export async function httpPost(
  url: string,
  headers: Record<string, string | number>,
  body: Buffer,
  o: HttpPostOptions,
): Promise<HttpAnswer> {
  const first = new URL(url);
  const all: Record<string, string | number> = { 'content-length': body.length, ...headers };
  if (!o.guard && (first.username !== '' || first.password !== '')) {
    all.authorization = `Basic ${Buffer.from(`${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`).toString('base64')}`;
    first.username = '';
    first.password = '';
  }
  const deadline = new Deadline<HttpPostError>(o.timeoutMs, (ms) => new HttpPostError('TIMEOUT', `no answer within ${ms} ms`));
  try {
    let target = first;
    for (let hop = 0; ; hop++) {
      const answer = await postOnce(target, hop === 0 ? all : forOrigin(all, first, target), body, o, deadline, hop > 0);
      const location = answer.headers.location;
      if (!FOLLOWED.has(answer.status) || hop >= (o.maxRedirects ?? 0) || location === undefined) return answer;
      try {
        target = new URL(location, target);
      } catch {
        return answer;
      }
    }
  } finally {
    deadline.clear();
  }
}

/** The headers for a redirect target: without the credentials when it is another origin. */
function forOrigin(all: Record<string, string | number>, first: URL, target: URL): Record<string, string | number> {
  if (target.origin === first.origin) return all;
  const { authorization: _, ...rest } = all;
  return rest;
}

async function postOnce(
  u: URL,
  headers: Record<string, string | number>,
  body: Buffer,
  o: HttpPostOptions,
  deadline: Deadline<HttpPostError>,
  redirected: boolean,
): Promise<HttpAnswer> {
  const options: RequestOptions = { method: 'POST', headers };
  if (o.guard) {
    try {
      const pinned = await deadline.race(o.guard.pin(u, o.prefixes));
      options.lookup = pinned.lookup;
      options.agent = pinned.agent;
    } catch (err) {
      if (err instanceof HttpPostError) throw err;
      if (err instanceof OutboundRefusal)
        throw new HttpPostError('REFUSED', redirected ? `redirect to ${u.href} refused: ${err.message}` : err.message);
      throw new HttpPostError('TRANSPORT', `${u.hostname} not resolved: ${(err as Error).message}`);
    }
  }
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    let unwatch = (): unknown => undefined;
    const fail = (err: HttpPostError): void => {
      if (settled) return;
      settled = true;
      unwatch();
      req.destroy();
      reject(err);
    };
    const req = send(u, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxAnswerBytes) fail(new HttpPostError('ANSWER_TOO_LARGE', `answer over ${o.maxAnswerBytes} bytes`));
        else chunks.push(c);
      });
      res.on('error', (err) => fail(new HttpPostError('TRANSPORT', err.message)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        unwatch();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    unwatch = deadline.watch(fail);
    req.on('error', (err) => fail(new HttpPostError('TRANSPORT', err.message)));
    req.end(body);
  });
}
