import type { Readable } from 'node:stream';
import type { BodyTicket } from '../../mm7/admission.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { RestError, refusal, refused, RETRY_SOON_MS } from '../errors.js';
import type { RestRoute } from '../route.js';
import { Refusal } from '../../core/refusals.js';
import { MediaUnavailableError, type MediaUploads } from './types.js';

/** POST /v1/media: the raw body with its Content-Type (and ?filename=), sniffed and kept for api.media.uploadTtlMs. */
export function mediaUploadRoute(media: MediaUploads | undefined): RestRoute {
  return {
    method: 'POST',
    path: '/v1/media',
    operation: 'media-upload',
    needs: 'send',
    async handle(r) {
      const uploads = available(media);
      const max = uploads.maxFileBytes;
      const declared = Number(r.req.headers['content-length'] ?? Number.NaN);
      if (declared > max) throw refusal('message-too-large', `an upload of ${declared} bytes is over the file limit of ${max} bytes`);
      const contentType = r.req.headers['content-type'];
      if (contentType === undefined)
        throw refusal('unsupported-media-type', 'an upload needs the Content-Type of its bytes (e.g. image/jpeg)');
      const filename = r.query.get('filename') ?? undefined;
      if (filename !== undefined && (filename.length === 0 || filename.length > 100 || /[\u0000-\u001f/\\]/.test(filename)))
        throw refusal('validation-error', 'filename must be 1..100 characters, without control characters or slashes');
      const bytes = await readRaw(r.body ?? r.req, max, r.ticket);
      try {
        const info = await uploads.upload(r.vasp, { bytes, contentType, ...(filename !== undefined ? { filename } : {}) });
        return { status: HTTP_STATUS.CREATED, body: info, headers: { location: `/v1/media/${info.mediaId}` } };
      } catch (err) {
        if (err instanceof MediaUnavailableError) throw mediaRefusal(err, false);
        throw err;
      }
    },
  };
}

/** GET /v1/media/:id: the account's own upload (another's is not found). */
export function mediaInfoRoute(media: MediaUploads | undefined): RestRoute {
  return {
    method: 'GET',
    path: '/v1/media/:id',
    operation: 'media',
    needs: 'read',
    async handle(r) {
      const found = await available(media).info(r.vasp, r.params.id!);
      if (!found)
        throw new RestError('NOT_FOUND', `no upload ${r.params.id!.slice(0, 100)} of this account`, {}, { reason: 'unknown-media-id' });
      return { status: HTTP_STATUS.OK, body: found };
    },
  };
}

/** A media failure as the REST answer: the type ones are content-type-mismatch, a size one too large, the rest media-unavailable. */
export function mediaRefusal(err: MediaUnavailableError, withUrl = true): RestError {
  // An upload's refusal names no URL: the id it would have had was never stored.
  const details = withUrl ? { reason: err.reason, url: err.url } : { reason: err.reason };
  if (err.reason === 'type-mismatch' || err.reason === 'type-not-allowed')
    return refused(new Refusal('content-type-mismatch', err.message), details);
  return refused(new Refusal('media-unavailable', err.message), details);
}

function available(media: MediaUploads | undefined): MediaUploads {
  if (!media) throw new RestError('NOT_FOUND', 'media uploads are not enabled on this gateway');
  return media;
}

/**
 * The whole body, at most `max` bytes (refused at the first byte over, message-too-large), counted against
 * the listener's budget (`ticket`) as it arrives, like the form's (src/rest/form.ts).
 */
function readRaw(body: Readable, max: number, ticket: BodyTicket | undefined): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err?: RestError) => {
      if (settled) return;
      settled = true;
      body.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      if (err) return reject(err);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) return settle(refusal('message-too-large', `the upload is over the file limit of ${max} bytes`));
      if (ticket && !ticket.take(c.length))
        return settle(refusal('overloaded', 'the listener is receiving too many request bodies at once: retry later', RETRY_SOON_MS));
      chunks.push(c);
    };
    const onEnd = () => settle();
    const onClose = () => settle(refusal('format-corrupt', 'the client went away before the end of the upload'));
    const onError = (e: Error) => settle(refusal('format-corrupt', `the upload could not be read: ${e.message}`));
    body.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
  });
}
