import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContentRef, CoreMessage } from '../core/message.js';
import { REFUSALS } from '../core/refusals.js';
import { HTTP_STATUS } from '../transport/http-status.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Queue } from '../core/ports.js';
import type { Tokens } from './tokens.js';
import { WEB_VIEW_CSP, renderViewError, renderWebView, type ViewPart } from './web-view.js';

/** Media responses: shown inline, never sniffed or run as a document (an SVG or HTML part stays inert). */
const MEDIA_CSP = "default-src 'none'; sandbox";

/**
 * GET /m/<token> (the page) and /m/<token>/<index> (one part's bytes) for the SMS fallback link. The token
 * names the message; the page lives as long as the message is kept and not expired.
 */
export class WebView {
  constructor(private readonly o: { queue: Queue; tokens: Tokens; metrics: Metrics; log: Logger; now: () => number }) {}

  async handle(rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [token = '', index, extra] = rest.split('/');
    // Tokens are base64url: nothing in them needs percent-decoding, and a malformed escape is just a bad link.
    const target = this.o.tokens.open(token);
    if (target?.kind !== 'view' || extra !== undefined)
      return this.error(res, HTTP_STATUS.NOT_FOUND, 'not-found', index === undefined ? 'page' : 'media');
    let message: CoreMessage | undefined;
    let content: Buffer[] | undefined;
    try {
      [message, content] = await Promise.all([this.o.queue.message(target.messageId), this.o.queue.content(target.messageId)]);
    } catch (err) {
      this.o.log.error({ err, messageId: target.messageId }, 'web view: store unavailable');
      const { http } = REFUSALS['store-unavailable'];
      this.o.metrics.webViews.inc({ kind: index === undefined ? 'page' : 'media', code: String(http) });
      res.writeHead(http, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' }).end('temporarily unavailable\n');
      return;
    }
    if (!message || !content) return this.error(res, HTTP_STATUS.NOT_FOUND, 'not-found', index === undefined ? 'page' : 'media');
    if (message.expiresAt <= this.o.now()) return this.error(res, HTTP_STATUS.GONE, 'expired', index === undefined ? 'page' : 'media');
    const head = req.method === 'HEAD';

    if (index !== undefined) {
      const ref = /^\d{1,4}$/.test(index) ? message.parts.find((p) => p.index === Number(index)) : undefined;
      const bytes = ref ? content[ref.index] : undefined;
      if (!ref || !bytes) return this.error(res, HTTP_STATUS.NOT_FOUND, 'not-found', 'media');
      this.o.metrics.webViews.inc({ kind: 'media', code: String(HTTP_STATUS.OK) });
      res.writeHead(HTTP_STATUS.OK, {
        'content-type': ref.contentType.startsWith('text/') ? `${ref.contentType}; charset=utf-8` : ref.contentType,
        'content-length': ref.contentType.startsWith('text/') ? Buffer.byteLength(textOf(ref, bytes)) : bytes.length,
        // Shown in the page: inline; anything else (HTML, vCard, ...) only as a download.
        'content-disposition': /^(image|audio|video)\//.test(ref.contentType) || ref.contentType === 'text/plain' ? 'inline' : 'attachment',
        'content-security-policy': MEDIA_CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, max-age=3600',
      });
      res.end(head ? undefined : ref.contentType.startsWith('text/') ? textOf(ref, bytes) : bytes);
      return;
    }

    const parts: ViewPart[] = message.parts.map((p) => {
      const v: ViewPart = { index: p.index, contentType: p.contentType.toLowerCase(), size: p.size };
      const name = nameOf(p);
      if (name !== undefined) v.name = name;
      if (v.contentType === 'text/plain') v.text = textOf(p, content[p.index] ?? Buffer.alloc(0));
      return v;
    });
    const model = { sentAt: new Date(message.receivedAt), parts, mediaHref: (i: number) => `${token}/${i}` }; // relative to the page: works under any base path
    const html = renderWebView({
      ...model,
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      from: message.originator.address,
    });
    this.o.metrics.webViews.inc({ kind: 'page', code: String(HTTP_STATUS.OK) });
    const body = Buffer.from(html, 'utf8');
    res.writeHead(HTTP_STATUS.OK, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'content-security-policy': WEB_VIEW_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'private, no-cache',
    });
    res.end(head ? undefined : body);
  }

  private error(
    res: ServerResponse,
    code: typeof HTTP_STATUS.NOT_FOUND | typeof HTTP_STATUS.GONE,
    status: 'not-found' | 'expired',
    kind: 'page' | 'media',
  ): void {
    this.o.metrics.webViews.inc({ kind, code: String(code) });
    const body = Buffer.from(renderViewError(status), 'utf8');
    res
      .writeHead(code, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        'content-security-policy': WEB_VIEW_CSP,
      })
      .end(body);
  }
}

/** A text part as a string: its charset parameter when TextDecoder knows it, else UTF-8 (what MMS mostly carries). */
function textOf(ref: ContentRef, bytes: Buffer): string {
  const charset = ref.params?.['charset'];
  if (typeof charset === 'string') {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // an unknown label: fall through
    }
  }
  return bytes.toString('utf8');
}

function nameOf(p: ContentRef): string | undefined {
  const name = p.params?.['name'] ?? p.contentLocation ?? p.params?.['filename'];
  return typeof name === 'string' ? name : undefined;
}
