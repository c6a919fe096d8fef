import { HTTP_STATUS } from '../../transport/http-status.js';
import { AdminError } from './errors.js';

/** Checks of what an admin call passes (path parameters, query, body): a clear 400 naming what is wrong. */

const bad = (code: string, message: string) => new AdminError(HTTP_STATUS.BAD_REQUEST, code, message);

/** A recipient index path parameter: a whole number 0..9999. */
export function recipientIndex(value: string | undefined): number {
  if (value === undefined || !/^\d{1,4}$/.test(value))
    throw bad('BAD_RECIPIENT', `recipient must be a recipient index (0, 1, ...), got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A time in the query: epoch milliseconds or an ISO 8601 date-time; `dflt` when absent. */
export function timeParam(query: URLSearchParams, name: string, dflt: number): number {
  const v = query.get(name);
  if (v === null || v === '') return dflt;
  const t = /^\d{1,16}$/.test(v) ? Number(v) : /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(t))
    throw bad('BAD_TIME', `${name}: an ISO 8601 date-time or epoch milliseconds, got ${JSON.stringify(v.slice(0, 64))}`);
  return t;
}

/** A whole number in the query within [min, max]; `dflt` when absent. */
export function intParam(query: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = query.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw bad('BAD_NUMBER', `${name}: a whole number ${min}..${max}, got ${JSON.stringify(v.slice(0, 64))}`);
  return Number(v);
}

/** A short text in the query (an address, a peer id, a reason), at most 256 characters; undefined when absent. */
export function textParam(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > 256) throw bad('BAD_TEXT', `${name}: at most 256 characters`);
  return v;
}

/**
 * An address in the query. A '+' written raw in a query string reads as a space (application/x-www-form-
 * urlencoded): `recipient=+15551234567` arrives as " 15551234567", and is taken as the number it meant.
 */
export function addressParam(query: URLSearchParams, name: string): string | undefined {
  const v = textParam(query, name);
  return v?.replace(/^ (?=\d)/, '+');
}

/** A JSON object body with a string field `name` (1..256 characters). */
export function bodyString(body: unknown, name: string): string {
  const v = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 256)
    throw bad('BAD_BODY', `the body must be a JSON object with a string "${name}"`);
  return v;
}
