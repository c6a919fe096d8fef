/**
 * A request the MM7 edge refuses with an MM7 status (3GPP TS 23.140 §8.7.4 status codes): answered in the
 * operation's own response (e.g. SubmitRsp) with the code and a readable StatusText, HTTP 200.
 */
export class Mm7Refusal extends Error {
  override readonly name = 'Mm7Refusal';
  readonly code = 'MM7_REFUSED';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
