import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpPostOptions {
  timeoutMs: number;
  /** An answer body longer than this is cut off and the request fails (a peer cannot fill our memory). */
  maxAnswerBytes: number;
}

/** Why an outbound request did not get an answer: connect/transport error, timeout, or an oversized answer. */
export class HttpPostError extends Error {
  override readonly name = 'HttpPostError';
  constructor(
    readonly code: 'TRANSPORT' | 'TIMEOUT' | 'ANSWER_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * POST a body to an http: or https: URL and read the whole answer, within a deadline for everything
 * (connect, send, answer). User info in the URL (http://user:pass@host/) becomes HTTP Basic credentials:
 * VASPs give their MM7 URL that way.
 */
export function httpPost(url: string, headers: Record<string, string | number>, body: Buffer, o: HttpPostOptions): Promise<HttpAnswer> {
  const u = new URL(url);
  const all: Record<string, string | number> = { 'content-length': body.length, ...headers };
  if (u.username !== '' || u.password !== '') {
    all.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: HttpPostError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = send(u, { method: 'POST', headers: all }, (res) => {
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
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(() => fail(new HttpPostError('TIMEOUT', `no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('error', (err) => fail(new HttpPostError('TRANSPORT', err.message)));
    req.end(body);
  });
}
