/**
 * An expected failure as a log field, `err`, in the shape pino gives an Error (`err.type`, `err.message`,
 * `err.code`) but without the stack: for failures the gateway expects and handles (a store that is
 * unreachable, a source that did not answer), where the stack is noise and a client library's internals
 * are not what an operator acts on. An unexpected failure is logged with the Error itself (`{ err }`:
 * pino adds the stack). Either way an operator greps `err.code` and `err.message`.
 */
export interface LoggedError {
  name: string;
  code?: string;
  message: string;
}

export function errorFields(err: unknown): LoggedError {
  // No prototype: pino's err serializer takes `type` from the constructor's name when there is one
  // ("Object" for a plain object), from `name` otherwise.
  const out: LoggedError = Object.create(null);
  out.name = err instanceof Error ? err.name : typeof err;
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  out.message = err instanceof Error ? err.message : String(err);
  return out;
}
