import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { contentTypeParams, MimeError, type ContentTypeParam } from '../../protocols/mime/index.js';
import type { ContentStage } from '../core/ports.js';
import type { BodyTicket } from '../mm7/admission.js';
import { RestError, refusal, RETRY_SOON_MS } from './errors.js';
import { FormPartCounter } from './form-parts.js';

/** Per-request form limits beside config.maxBodyBytes and the VASP's maxMessageBytes. */
const FORM_LIMITS = { files: 20, fields: 50, fieldSize: 8 * 1024, parts: 100 } as const;

/** A multipart/form-data request as read: fields in order of arrival, files with their sizes (their bytes are in the stage, one part each, in this order). */
export interface Form {
  fields: Array<{ name: string; value: string }>;
  files: Array<{ mimeType: string; filename: string | undefined; size: number }>;
}

/**
 * Reads the form while counting: the body against maxBodyBytes (and the listener's budget, `ticket`) and the
 * file bytes against maxContentBytes, as they arrive, so that an oversized upload is refused at the first byte over. File bytes go to `stage`
 * as they come (one part per file), and the request is read no faster than the store takes them.
 * Rejects with RestError only; on rejection the parser is torn down and the rest of the body is the
 * caller's to discard (and the stage is the caller's to discard). A client that goes away settles it too
 * (its answer then goes nowhere). A part busboy cannot read (form-parts.ts) refuses the form: a message
 * without one of the parts its sender meant is not the message it meant.
 */
export function readForm(
  req: IncomingMessage,
  maxBodyBytes: number,
  maxContentBytes: number,
  stage: ContentStage,
  ticket?: BodyTicket,
  /** Where the body's bytes come from when not `req` itself (an Idempotency-Key's hashing stream). */
  body: Readable = req,
): Promise<Form> {
  return new Promise<Form>((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBodyBytes)
      return reject(refusal('message-too-large', `request of ${declared} bytes is over the limit of ${maxBodyBytes} bytes`));
    let boundary: string;
    try {
      boundary = formBoundary(req.headers['content-type'] ?? '');
    } catch (err) {
      return reject(err);
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8', // file names as browsers and fetch send them
        // busboy's size and parts limits fire on reaching the value, not on passing it: one more each, so
        // that a value of exactly the limit is allowed (files and fields fire on passing).
        limits: {
          fileSize: maxContentBytes + 1,
          files: FORM_LIMITS.files,
          fields: FORM_LIMITS.fields,
          fieldSize: FORM_LIMITS.fieldSize + 1,
          parts: FORM_LIMITS.parts + 1,
        },
      });
    } catch (err) {
      return reject(refusal('format-corrupt', `malformed multipart request: ${(err as Error).message}`));
    }
    const form: Form = { fields: [], files: [] };
    const counter = new FormPartCounter(boundary);
    let bodyBytes = 0;
    let contentBytes = 0;
    let settled = false;
    const settle = (err?: RestError) => {
      if (settled) return;
      settled = true;
      body.off('data', onData).off('end', onEnd);
      req.off('close', onClose);
      if (!err) return resolve(form);
      // Not from inside its own callback (busboy touches its file stream after emitting 'data' or 'limit');
      // its late 'error' is still listened to (and ignored) below.
      setImmediate(() => parser.destroy());
      reject(err);
    };
    const tooLarge = (what: string) => settle(refusal('message-too-large', what));
    const onData = (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBodyBytes) return tooLarge(`request body is over the limit of ${maxBodyBytes} bytes`);
      // A chunked body is admitted as it grows (server.ts): over the listener's budget, the rest is not read.
      if (ticket && !ticket.take(chunk.length)) {
        return settle(refusal('overloaded', 'the listener is receiving too many request bodies at once: retry later', RETRY_SOON_MS));
      }
      counter.push(chunk);
      const parserFull = !parser.write(chunk);
      if (settled) return;
      // Paused until the parser wants more and the store has taken what the chunk wrote to it.
      body.pause();
      const parserReady = parserFull ? new Promise<void>((r) => parser.once('drain', () => r())) : undefined;
      Promise.all([parserReady, stage.drain()]).then(
        () => settled || body.resume(),
        (err: unknown) => settle(storeFailed(err)),
      );
    };
    const storeFailed = (err: unknown) => {
      const failure = refusal('store-unavailable');
      failure.cause = err; // logged by the caller's refusal path
      return failure;
    };
    // A throw in a stream's listener would reach whichever emit() ran it (busboy, a socket): it settles instead.
    const guarded =
      <A extends unknown[]>(fn: (...args: A) => unknown) =>
      (...args: A) => {
        try {
          fn(...args);
        } catch (err) {
          const failure = new RestError('INTERNAL', 'internal error');
          failure.cause = err;
          settle(failure);
        }
      };
    const onEnd = () => parser.end();
    const onClose = () => req.complete || settle(refusal('format-corrupt', 'the client went away before the end of the request'));

    parser.on('field', (name: string | undefined, value, info) => {
      // Content-Disposition without a name (RFC 7578 §4.2 requires one).
      if (name === undefined) return settle(unreadable(`part ${form.fields.length + form.files.length + 1} has no name`));
      // A part of another type without a file name busboy can read (none, filename="", or RFC 2231
      // continuations filename*0*=, which busboy does not join): the file it was meant to be.
      if (info.mimeType !== 'text/plain')
        return settle(unreadable(`part ${name.slice(0, 40)} of type ${info.mimeType} has no file name that can be read`));
      if (info.nameTruncated || info.valueTruncated) return tooLarge(`field ${name.slice(0, 40)} is over ${FORM_LIMITS.fieldSize} bytes`);
      form.fields.push({ name, value });
    });
    const files = new FileSequence(stage);
    parser.on('file', (_name, stream, info) => {
      const file = { mimeType: info.mimeType || 'application/octet-stream', filename: info.filename, size: 0 };
      form.files.push(file);
      const slot = files.add();
      stream.on(
        'data',
        guarded((c: Buffer) => {
          if (settled) return;
          contentBytes += c.length;
          // Bytes over the limit are not written: the form is refused at the first of them.
          if (contentBytes > maxContentBytes)
            return tooLarge(`message content is over the limit of ${maxContentBytes} bytes for this account`);
          file.size += c.length;
          files.write(slot, c);
        }),
      );
      stream.on(
        'end',
        guarded(() => settled || files.end(slot)),
      );
      stream.on('limit', () => tooLarge(`a file is over the limit of ${maxContentBytes} bytes for this account`));
      stream.on('error', (e: Error) => settle(refusal('format-corrupt', `malformed multipart request: ${e.message}`)));
    });
    parser.on('filesLimit', () => tooLarge(`more than ${FORM_LIMITS.files} files`));
    parser.on('fieldsLimit', () => tooLarge(`more than ${FORM_LIMITS.fields} fields`));
    parser.on('partsLimit', () => tooLarge(`more than ${FORM_LIMITS.parts} parts`));
    parser.on('error', (e: unknown) => settle(refusal('format-corrupt', `malformed multipart request: ${(e as Error).message}`)));
    parser.on('close', () => {
      const read = form.fields.length + form.files.length;
      if (counter.parts > read) {
        return settle(
          unreadable(
            `${counter.parts - read} of the ${counter.parts} parts could not be read: a part needs Content-Disposition: form-data with a name, ` +
              `and a file name as filename="..." or a well-formed RFC 2231 filename* (a known charset, %XX octets, both quotes)`,
          ),
        );
      }
      settle();
    });
    body.on('data', onData).on('end', onEnd);
    req.on('close', onClose);
  });
}

/** A form part the API cannot read: the submission is refused with why. */
function unreadable(why: string): RestError {
  return refusal('format-corrupt', `malformed multipart request: ${why}`);
}

/**
 * The form's boundary, the one busboy reads: its Content-Type parser takes the first plain `boundary=` and
 * knows no RFC 2231, where parseContentType joins and decodes `boundary*=`, `boundary*0=`... Refused when the
 * two could differ (given in RFC 2231 form or more than once; RFC 2046 §5.1.1 has one) or when it is empty
 * (busboy then delimits on "CRLF--" alone): the part counter must look for busboy's delimiter, and another
 * reader of the same form would see other parts. '' when the value does not parse or has no boundary
 * (busboy refuses the request first).
 */
function formBoundary(contentType: string): string {
  let params: ContentTypeParam[];
  try {
    params = contentTypeParams(contentType);
  } catch (err) {
    if (err instanceof MimeError) return '';
    throw err;
  }
  const given = params.filter((p) => p.name === 'boundary' || p.name.startsWith('boundary*'));
  if (given.some((p) => p.name !== 'boundary')) {
    throw refusal(
      'format-corrupt',
      'the multipart boundary is given in RFC 2231 form (boundary*=...): give it as one plain boundary= parameter',
    );
  }
  if (given.length > 1) throw refusal('format-corrupt', `the multipart boundary is given ${given.length} times: give it once`);
  const boundary = given[0];
  if (boundary?.value === '') throw refusal('format-corrupt', 'the multipart boundary is empty');
  return boundary?.value ?? '';
}

/**
 * The form's files into the stage, one part each, in the order busboy announced them. A file stream's first
 * 'data' and its 'end' come on a later tick than the parser's progress (Readable starts in sync mode), so
 * the next file can be announced before the last one's bytes are out: its bytes wait here (bounded by the
 * content limit) until every file before it has ended.
 */
class FileSequence {
  private readonly slots: Array<{ pending: Buffer[]; ended: boolean }> = [];
  private current = 0;
  private out: { write(b: Buffer): void; end(): void } | undefined;

  constructor(private readonly stage: ContentStage) {}

  add(): number {
    this.slots.push({ pending: [], ended: false });
    if (this.slots.length - 1 === this.current) this.out = this.stage.part();
    return this.slots.length - 1;
  }

  write(slot: number, b: Buffer): void {
    if (slot === this.current) this.out!.write(b);
    else this.slots[slot]!.pending.push(b);
  }

  end(slot: number): void {
    this.slots[slot]!.ended = true;
    // Close the current file, then catch up on the files after it that have arrived meanwhile.
    while (this.current < this.slots.length && this.slots[this.current]!.ended) {
      this.out!.end();
      this.current++;
      const next = this.slots[this.current];
      if (!next) {
        this.out = undefined;
        break;
      }
      this.out = this.stage.part();
      for (const b of next.pending) this.out.write(b);
      next.pending = [];
    }
  }
}
