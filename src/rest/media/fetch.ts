import { Deadline } from '../../transport/deadline.js';
import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { OutboundRefusal, type OutboundGuard } from '../../transport/outbound-guard.js';
import type { MediaFailure } from './types.js';
import { clip } from '../../transport/outbound-guard.js';

/** Why a fetch failed: one of the media failure words, and the words for the sender. */
export class MediaFetchError extends Error {
  override readonly name = 'MediaFetchError';
  constructor(
    readonly reason: MediaFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface MediaFetchOptions {
  /** The account's guard: every URL requested (the first and each redirect) is checked and pinned by it. */
  guard: OutboundGuard;
  maxRedirects: number;
  /** For the whole fetch: HEAD, GET, redirects, lookups, connects, headers and the whole body. */
  timeoutMs: number;
  /** The most bytes the body may have (the file cap, or what is left of the message's budget). */
  maxBytes: number;
  /** Says which limit `maxBytes` is, for the sender: "the file limit of 1048576 bytes". */
  limitText: string;
  /** A cached copy's validators: the HEAD and GET are conditional (RFC 9110 §13.1.1-2) and a 304 means "yours is current". */
  validators?: { etag?: string | undefined; lastModified?: string | undefined };
  /** For https: URLs in tests: the CA to trust (else the system's). */
  ca?: string | Buffer;
  /** false: no HEAD first, the GET's headers alone decide (UAProf documents: small, one round trip). Default true. */
  head?: boolean;
  /**
   * An answer without a Content-Length: 'refuse' (media: its size must be known first) or 'read-capped' (read
   * until its end, failing as too-large at the first byte over maxBytes). Default 'refuse'.
   */
  unknownLength?: 'refuse' | 'read-capped';
}

export type MediaFetchResult =
  | { kind: 'not-modified'; url: URL; headers: IncomingHttpHeaders }
  | { kind: 'fetched'; url: URL; headers: IncomingHttpHeaders; bytes: Buffer };

const REDIRECTS = new Set<number>([
  HTTP_STATUS.MOVED_PERMANENTLY,
  HTTP_STATUS.FOUND,
  HTTP_STATUS.SEE_OTHER,
  HTTP_STATUS.TEMPORARY_REDIRECT,
  HTTP_STATUS.PERMANENT_REDIRECT,
]);
/** A HEAD the server does not take: the GET alone decides (its headers are checked before its body is read). */
const NO_HEAD = new Set<number>([HTTP_STATUS.METHOD_NOT_ALLOWED, HTTP_STATUS.NOT_IMPLEMENTED]);
const GONE = new Set<number>([HTTP_STATUS.NOT_FOUND, HTTP_STATUS.GONE]);

/**
 * Fetch a media URL a sender named: a HEAD (its status and Content-Length checked before anything is
 * downloaded), then a GET whose body is read only when it declares a Content-Length within `maxBytes`, and
 * read with that hard cap. Every URL, redirects included, goes through the guard's `pin` (resolved once,
 * every address checked, connected to those only). One deadline for all of it: when it passes, the request
 * in progress is destroyed (its socket with it) and the fetch fails as `timeout`. Throws MediaFetchError.
 */
export async function fetchMedia(target: string, o: MediaFetchOptions): Promise<MediaFetchResult> {
  const deadline = new Deadline<MediaFetchError>(
    o.timeoutMs,
    (ms) => new MediaFetchError('timeout', `the media was not fetched within ${ms} ms`),
  );
  try {
    const conditional: Record<string, string> = {};
    if (o.validators?.etag !== undefined) conditional['if-none-match'] = o.validators.etag;
    if (o.validators?.lastModified !== undefined) conditional['if-modified-since'] = o.validators.lastModified;
    const validated = Object.keys(conditional).length > 0;

    let from = new URL(target);
    if (o.head !== false) {
      const head = await follow('HEAD', from, conditional, o, deadline);
      head.res.resume();
      if (head.status === HTTP_STATUS.NOT_MODIFIED && validated) return { kind: 'not-modified', url: head.url, headers: head.res.headers };
      if (!NO_HEAD.has(head.status)) {
        checkStatus(head.status, head.url);
        const declared = contentLength(head.res.headers);
        if (declared !== undefined && declared > o.maxBytes)
          throw new MediaFetchError('too-large', `${clip(head.url.href)} is ${declared} bytes, over ${o.limitText}`);
      }
      from = head.url;
    }

    const get = await follow('GET', from, conditional, o, deadline);
    if (get.status === HTTP_STATUS.NOT_MODIFIED && validated) {
      get.res.resume();
      return { kind: 'not-modified', url: get.url, headers: get.res.headers };
    }
    try {
      checkStatus(get.status, get.url);
      const length = contentLength(get.res.headers);
      if (length === undefined && o.unknownLength === 'read-capped') {
        const bytes = await readBody(get.res, get.req, o.maxBytes, deadline, get.url, o.limitText);
        return { kind: 'fetched', url: get.url, headers: get.res.headers, bytes };
      }
      if (length === undefined)
        throw new MediaFetchError(
          'no-content-length',
          `${clip(get.url.href)} was sent without a Content-Length: its size must be known first`,
        );
      if (length > o.maxBytes) throw new MediaFetchError('too-large', `${clip(get.url.href)} is ${length} bytes, over ${o.limitText}`);
      const bytes = await readBody(get.res, get.req, length, deadline, get.url);
      return { kind: 'fetched', url: get.url, headers: get.res.headers, bytes };
    } catch (err) {
      // Not read: the rest of the body is not downloaded (the socket goes with it).
      get.req.destroy();
      throw err;
    }
  } finally {
    deadline.clear();
  }
}

function checkStatus(status: number, url: URL): void {
  if (status >= HTTP_STATUS.OK && status < HTTP_STATUS.MULTIPLE_CHOICES) return;
  if (GONE.has(status)) throw new MediaFetchError('not-found', `${clip(url.href)} answered ${status}: no such media`);
  throw new MediaFetchError('http-error', `${clip(url.href)} answered HTTP ${status}`);
}

/** The Content-Length, or undefined when the answer has none (chunked, or until the connection closes). */
function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || headers['transfer-encoding'] !== undefined || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

interface Opened {
  url: URL;
  status: number;
  req: ClientRequest;
  res: IncomingMessage;
}

/** One method from `start`, following redirects (each pinned by the guard), at most `maxRedirects`. */
async function follow(
  method: 'HEAD' | 'GET',
  start: URL,
  headers: Record<string, string>,
  o: MediaFetchOptions,
  deadline: Deadline<MediaFetchError>,
): Promise<Opened> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const opened = await open(method, url, headers, o, deadline, hop > 0);
    const location = opened.res.headers.location;
    if (!REDIRECTS.has(opened.status) || location === undefined) return opened;
    opened.req.destroy(); // its body (if any) is not wanted
    if (hop >= o.maxRedirects)
      throw new MediaFetchError('too-many-redirects', `${clip(start.href)} redirects more than ${o.maxRedirects} times`);
    try {
      url = new URL(location, url);
    } catch {
      throw new MediaFetchError('http-error', `${clip(url.href)} redirects to ${clip(location)}, which is not a URL`);
    }
  }
}

/** One request, up to its answer's headers: the URL pinned by the guard first. */
async function open(
  method: 'HEAD' | 'GET',
  url: URL,
  headers: Record<string, string>,
  o: MediaFetchOptions,
  deadline: Deadline<MediaFetchError>,
  redirected: boolean,
): Promise<Opened> {
  const options: RequestOptions & { ca?: string | Buffer } = { method, headers: { ...headers, accept: '*/*' } };
  try {
    const pinned = await deadline.race(o.guard.pin(url));
    options.lookup = pinned.lookup;
    options.agent = pinned.agent;
  } catch (err) {
    if (err instanceof MediaFetchError) throw err;
    if (err instanceof OutboundRefusal)
      throw new MediaFetchError('refused-address', redirected ? `redirect to ${clip(url.href)} refused: ${err.message}` : err.message);
    throw new MediaFetchError('unreachable', `${url.hostname} not resolved: ${(err as Error).message}`);
  }
  if (o.ca !== undefined) options.ca = o.ca;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Opened>((resolve, reject) => {
    let settled = false;
    // Assigned below; a deadline already past calls `fail` at once, before the assignment.
    let unwatch = (): unknown => undefined;
    const req = send(url, options, (res) => {
      if (settled) return void res.resume();
      settled = true;
      unwatch();
      resolve({ url, status: res.statusCode ?? 0, req, res });
    });
    const fail = (err: MediaFetchError) => {
      if (settled) return;
      settled = true;
      unwatch();
      req.destroy();
      reject(err);
    };
    unwatch = deadline.watch((err) => fail(err));
    req.on('error', (err) => fail(new MediaFetchError('unreachable', `${clip(url.href)}: ${err.message}`)));
    req.end();
  });
}

/**
 * The body, exactly `length` bytes: more or fewer is an error, and it is never held beyond `length`. With
 * `capText` the length is unknown and `length` is the cap: the body ends when the answer does, and a byte over
 * the cap fails as too-large (the request destroyed: the rest is never downloaded).
 */
function readBody(
  res: IncomingMessage,
  req: ClientRequest,
  length: number,
  deadline: Deadline<MediaFetchError>,
  url: URL,
  capText?: string,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const body = Buffer.allocUnsafe(length);
    let size = 0;
    let settled = false;
    let unwatch = (): unknown => undefined;
    const done = (err?: MediaFetchError) => {
      if (settled) return;
      settled = true;
      unwatch();
      if (err) {
        req.destroy();
        return reject(err);
      }
      resolve(capText === undefined ? body : body.subarray(0, size));
    };
    unwatch = deadline.watch((err) => done(err));
    res.on('data', (c: Buffer) => {
      if (size + c.length > length && capText !== undefined)
        return done(new MediaFetchError('too-large', `${clip(url.href)} sent more than ${capText}`));
      if (size + c.length > length) return done(new MediaFetchError('http-error', `${clip(url.href)} sent more than its Content-Length`));
      c.copy(body, size);
      size += c.length;
    });
    res.on('end', () =>
      size === length || capText !== undefined
        ? done()
        : done(new MediaFetchError('http-error', `${clip(url.href)} sent ${size} of ${length} bytes`)),
    );
    res.on('error', (err) => done(new MediaFetchError('http-error', `${clip(url.href)}: ${err.message}`)));
    res.on('close', () => done(new MediaFetchError('http-error', `${clip(url.href)} closed after ${size} of ${length} bytes`)));
  });
}
