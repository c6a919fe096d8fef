import { checkAnswer } from './openapi-check.js';

/** A REST answer as a test sees it: the JSON body parsed (undefined when the answer is not JSON). */
export interface RestCallAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the fields it asserts on
  body: any;
  text: string;
}

export interface RestCallInit {
  /** The Authorization header as written: basic('acme', 'pw') or bearer(key); none when unset. */
  auth?: string;
  /** A JSON body (content-type application/json). */
  json?: unknown;
  /** Any other body (FormData, a string) with its own content-type header when it needs one. */
  body?: FormData | string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
}

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const bearer = (key: string) => `Bearer ${key}`;

/**
 * One request to the sender's API at `base` (http://127.0.0.1:port), its answer checked against the OpenAPI
 * document (test/helpers/openapi-check.ts): every answer a test receives through here must be one the
 * document describes, so a test of any route is also a test of the document.
 */
export async function restCall(base: string, method: string, path: string, init: RestCallInit = {}): Promise<RestCallAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth !== undefined) headers.authorization = init.auth;
  let body: FormData | string | Uint8Array<ArrayBuffer> | undefined = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(base.replace(/\/$/, '') + path, { method, headers, body: body ?? null });
  const text = await r.text();
  const type = r.headers.get('content-type') ?? '';
  const parsed: unknown = type.startsWith('application/json') && text !== '' ? JSON.parse(text) : undefined;
  checkAnswer({ method, path, status: r.status, contentType: type, body: parsed, headers: r.headers });
  return { status: r.status, headers: r.headers, body: parsed, text };
}
