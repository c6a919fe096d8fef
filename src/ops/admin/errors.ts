/**
 * A refusal of the admin API with its HTTP status and a stable code, answered as
 * `{ "error": { "code", "message" } }`. Handlers throw it for bad input; the router answers it.
 */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body of an error answer. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
