/** One answer of the REST API as a test received it. */
export interface ReceivedAnswer {
  method: string;
  /** The path as requested, query included. */
  path: string;
  status: number;
  contentType: string;
  body: unknown;
}

/**
 * Checks an answer against the OpenAPI document served at /v1/openapi.json (src/rest/openapi/): the
 * operation for the method and path, the status among its responses, the body against that response's schema.
 * Throws with what does not match.
 *
 * PLACEHOLDER until the OpenAPI document lands (issue 24): it checks nothing yet.
 */
export function checkAnswer(_answer: ReceivedAnswer): void {}
