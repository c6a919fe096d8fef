import { isValidPhoneNumber } from 'libphonenumber-js/max';
import type { Logger } from 'pino';
import { CONSENT_SOURCES, type ConsentEntry, type ConsentSource, type ConsentStore } from '../../core/ports.js';
import { HTTP_STATUS } from '../../transport/http-status.js';
import { csvRecord, parseCsv } from '../csv.js';
import { AdminError } from './errors.js';
import type { AdminRoute } from './types.js';

/** The CSV columns of export and import (docs/consent.md). */
export const CONSENT_COLUMNS = ['sender', 'subscriber', 'state', 'source', 'at', 'proof'] as const;
/** Entries written to the store per round of an import. */
const IMPORT_BATCH = 1_000;
/** Rejected lines listed at most in an import's answer (the rest are counted). */
const MAX_REJECTED_LISTED = 1_000;
/** A sender is a short code or sender id: printable, no comma games, bounded. */
const SENDER = /^[\p{L}\p{N} ._+@-]{1,64}$/u;
const E164 = /^\+[1-9]\d{6,14}$/;
/** RFC 3339 §5.6 date-time (upper- or lower-case T and Z, as §5.6 allows). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
const MAX_PROOF_CHARS = 1_024;

export interface ConsentRoutesDeps {
  consent: ConsentStore;
  /** consent.importMaxBytes now. */
  importMaxBytes: () => number;
  log: Logger;
}

/** A time as RFC 3339 (its fields checked: no 30 February, no hour 25), or undefined. */
export function rfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 60) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const at = Date.parse(text.toUpperCase());
  return Number.isFinite(at) ? at : undefined;
}

/** One CSV record as an entry to import, or why not. */
export function entryOf(fields: readonly string[]): ConsentEntry | { reason: string } {
  if (fields.length < 5 || fields.length > 6)
    return { reason: `expected 5 or 6 fields (${CONSENT_COLUMNS.join(',')}), got ${fields.length}` };
  const [sender, subscriber, state, source, at, proof] = fields as [string, string, string, string, string, string | undefined];
  if (!SENDER.test(sender)) return { reason: 'sender: 1-64 letters, digits, space or ._+@-' };
  if (!E164.test(subscriber) || !isValidPhoneNumber(subscriber)) return { reason: 'subscriber: not a valid +E.164 number' };
  if (state !== 'opted-in' && state !== 'opted-out') return { reason: 'state: opted-in or opted-out' };
  const src = (source === '' ? 'import' : source) as ConsentSource;
  if (!CONSENT_SOURCES.includes(src)) return { reason: `source: one of ${CONSENT_SOURCES.join(', ')} (or empty: import)` };
  const time = rfc3339(at);
  if (time === undefined) return { reason: 'at: not an RFC 3339 date-time with offset (2026-01-31T09:00:00Z)' };
  if (proof !== undefined && proof.length > MAX_PROOF_CHARS) return { reason: `proof: over ${MAX_PROOF_CHARS} characters` };
  if (proof !== undefined && /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(proof)) return { reason: 'proof: control characters' };
  return { sender, subscriber, state, source: src, at: time, ...(proof ? { proof } : {}) };
}

/** The current entries as CSV, the header first, page by page from the store. */
async function* exportCsv(consent: ConsentStore, sender: string | undefined): AsyncIterable<string> {
  yield csvRecord(CONSENT_COLUMNS);
  let chunk = '';
  for await (const e of consent.export(sender)) {
    chunk += csvRecord([e.sender, e.subscriber, e.state, e.source, new Date(e.at).toISOString(), e.proof ?? '']);
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * The admin API's consent registry (docs/consent.md): one pair's consent with its history (read), the
 * registry as CSV (read, streamed), and an import of CSV (operate: each line checked, the good ones written,
 * the bad ones answered with their line number and why).
 */
export function consentRoutes(deps: ConsentRoutesDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/consent/export',
      role: 'read',
      action: 'export the consent registry',
      async handle(req) {
        const sender = req.query.get('sender') ?? undefined;
        if (sender !== undefined && !SENDER.test(sender))
          throw new AdminError(HTTP_STATUS.BAD_REQUEST, 'BAD_SENDER', 'sender: 1-64 letters, digits, space or ._+@-');
        return {
          status: HTTP_STATUS.OK,
          body: undefined,
          stream: { contentType: 'text/csv; charset=utf-8; header=present', chunks: exportCsv(deps.consent, sender) },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/admin/consent/:sender/:subscriber',
      role: 'read',
      action: 'look up a subscriber’s consent',
      async handle(req) {
        const sender = req.params.sender ?? '';
        const subscriber = req.params.subscriber ?? '';
        const r = await deps.consent.get(sender, subscriber);
        if (!r) {
          // No record: never asked, so no opt-in (what enforcement reads it as).
          return {
            status: HTTP_STATUS.NOT_FOUND,
            body: { error: { code: 'NO_CONSENT', message: `no consent recorded for ${subscriber} and sender ${sender}` } },
          };
        }
        const iso = (at: number) => new Date(at).toISOString();
        return {
          status: HTTP_STATUS.OK,
          body: {
            sender: r.sender,
            subscriber: r.subscriber,
            state: r.state,
            source: r.source,
            at: iso(r.at),
            ...(r.proof !== undefined ? { proof: r.proof } : {}),
            history: r.history.map((h) => ({
              state: h.state,
              source: h.source,
              at: iso(h.at),
              ...(h.proof !== undefined ? { proof: h.proof } : {}),
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/consent/import',
      role: 'operate',
      action: 'import consent (CSV)',
      text: { type: 'text/csv', maxBytes: deps.importMaxBytes },
      async handle(req) {
        const text = typeof req.body === 'string' ? req.body : '';
        const rejected: { line: number; reason: string }[] = [];
        let rejectedCount = 0;
        let imported = 0;
        let batch: ConsentEntry[] = [];
        const reject = (line: number, reason: string) => {
          rejectedCount++;
          if (rejected.length < MAX_REJECTED_LISTED) rejected.push({ line, reason });
        };
        const flush = async () => {
          if (batch.length === 0) return;
          await deps.consent.import(batch);
          imported += batch.length;
          batch = [];
        };
        let first = true;
        for (const rec of parseCsv(text)) {
          if ('error' in rec) {
            reject(rec.line, rec.error);
            first = false;
            continue;
          }
          // A header line (as export writes) is not data.
          if (first && rec.fields[0] === 'sender' && rec.fields[1] === 'subscriber') {
            first = false;
            continue;
          }
          first = false;
          const e = entryOf(rec.fields);
          if ('reason' in e) reject(rec.line, e.reason);
          else {
            batch.push(e);
            if (batch.length >= IMPORT_BATCH) await flush();
          }
        }
        await flush();
        deps.log.info({ admin: req.caller.name, imported, rejected: rejectedCount }, 'consent imported');
        return {
          status: HTTP_STATUS.OK,
          body: { imported, rejected, ...(rejectedCount > rejected.length ? { rejectedNotListed: rejectedCount - rejected.length } : {}) },
        };
      },
    },
  ];
}
