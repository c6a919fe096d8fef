/**
 * MM7 request status codes, TS 23.140 §8.7 ("Status code and status text" table; the Rel-6 schema's
 * StatusCode values). Classes: 1xxx success, 2xxx client errors, 3xxx server errors, 4xxx service errors.
 * The texts are the spec's names; 2008/2009/3004/4008 arrived with Rel-6 application addressing.
 */
export const MM7_STATUS = [
  [1000, 'Success'],
  [1100, 'Partial success'],
  [2000, 'Client error'],
  [2001, 'Operation restricted'],
  [2002, 'Address Error'],
  [2003, 'Address Not Found'],
  [2004, 'Multimedia content refused'],
  [2005, 'Message ID Not found'],
  [2006, 'LinkedID not found'],
  [2007, 'Message format corrupt'],
  [2008, 'Application ID not found'],
  [2009, 'Reply Application ID not found'],
  [3000, 'Server Error'],
  [3001, 'Not Possible'],
  [3002, 'Message rejected'],
  [3003, 'Multiple addresses not supported'],
  [3004, 'Application Addressing not supported'],
  [4000, 'General service error'],
  [4001, 'Improper identification'],
  [4002, 'Unsupported version'],
  [4003, 'Unsupported operation'],
  [4004, 'Validation error'],
  [4005, 'Service error'],
  [4006, 'Service unavailable'],
  [4007, 'Service denied'],
  [4008, 'Application denied'],
] as const;

export type Mm7StatusCode = (typeof MM7_STATUS)[number][0];

/**
 * The table's codes a response needs that are not refusals, by name (a refusal's code is its entry's in
 * the gateway's refusal catalogue): success, and the server error a Fault without a status stands for.
 */
export const MM7_CODE = {
  SUCCESS: 1000,
  PARTIAL_SUCCESS: 1100,
  SERVER_ERROR: 3000,
} as const satisfies Record<string, Mm7StatusCode>;

const TEXT = new Map<number, string>(MM7_STATUS);

/** True when `code` is one of the table's codes. */
export function isMm7StatusCode(code: number): code is Mm7StatusCode {
  return TEXT.has(code);
}

/**
 * The spec's status text for a code. Peers may send codes outside the table (vendor 25xx codes); those get
 * the name of their class (the spec says an unknown code is to be treated as the class's x000 code).
 */
export function statusText(code: number): string {
  const known = TEXT.get(code);
  if (known !== undefined) return known;
  const cls = TEXT.get(Math.floor(code / 1000) * 1000);
  return cls ?? 'Unknown status';
}

/** 1xxx: the request succeeded, at least partly. */
export function isSuccess(code: number): boolean {
  return code >= 1000 && code < 2000;
}
