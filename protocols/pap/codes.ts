/**
 * PAP result codes (WAP-247-PAP-20010429 §9.13) as data. The first digit is the class; a code the reader does
 * not know is treated as the x000 code of its class (§9.13), which is what papCodeInfo does.
 *
 * `transient` says whether sending the same push again later can succeed: the PI's request is at fault (2xxx)
 * or the PPG cannot ever do what was asked (most 3xxx) -> permanent; the PPG or the network is in trouble right
 * now (3000, 3009, 3010, 4xxx) -> transient. It is our reading of each code's meaning, not a spec field.
 */

export type PapCodeClass = 'success' | 'client-error' | 'server-error' | 'service-failure' | 'client-aborted';

export interface PapCodeInfo {
  code: number;
  name: string;
  class: PapCodeClass;
  /** 1xxx only. */
  success: boolean;
  /** Retrying the same push later may succeed (false for successes). */
  transient: boolean;
  /** Where the code is defined. */
  spec: string;
}

const SPEC = 'WAP-247-PAP-20010429 §9.13';

type Row = readonly [code: number, name: string, transient: boolean];

const ROWS: ReadonlyArray<Row> = [
  // 1xxx Success
  [1000, 'OK', false],
  [1001, 'Accepted for Processing', false],
  // 2xxx Client Error: the request is wrong; the same request fails again.
  [2000, 'Bad Request', false],
  [2001, 'Forbidden', false],
  [2002, 'Address Error', false],
  [2003, 'Address Not Found', false],
  [2004, 'Push ID Not Found', false],
  [2005, 'Capabilities Mismatch', false],
  [2006, 'Required Capabilities Not Supported', false],
  // On a retry with the same push-id this means an earlier attempt got through.
  [2007, 'Duplicate Push ID', false],
  [2008, 'Cancellation Not Possible', false],
  // 3xxx Server Error
  [3000, 'Internal Server Error', true],
  [3001, 'Not Implemented', false],
  [3002, 'Version Not Supported', false],
  [3003, 'Not Possible', false],
  [3004, 'Capability Matching Not Supported', false],
  [3005, 'Multiple Addresses Not Supported', false],
  [3006, 'Transformation Failure', false],
  [3007, 'Specified Delivery Method Not Possible', false],
  [3008, 'Capabilities Not Available', false],
  [3009, 'Required Network Not Available', true],
  [3010, 'Required Bearer Not Available', true],
  [3011, 'Replacement Not Supported', false],
  // 4xxx Service Failure: the PPG cannot serve now.
  [4000, 'Service Failure', true],
  [4001, 'Service Unavailable', true],
  // 5xxx Mobile Client Aborted: the device aborted this delivery; the low digits carry its abort reason (§9.14).
  [5000, 'Mobile Client Aborted', true],
];

const CLASSES: Readonly<Record<number, PapCodeClass>> = {
  1: 'success',
  2: 'client-error',
  3: 'server-error',
  4: 'service-failure',
  5: 'client-aborted',
};

/** Every code §9.13 names, in order. */
export const PAP_CODES: ReadonlyArray<PapCodeInfo> = ROWS.map(([code, name, transient]) => ({
  code,
  name,
  class: CLASSES[Math.floor(code / 1000)]!,
  success: code < 2000,
  transient,
  spec: SPEC,
}));

const BY_CODE = new Map(PAP_CODES.map((c) => [c.code, c]));

/** Whether `code` is a four-digit PAP status code of a known class (1000-5999). */
export function isPapCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1000 && code <= 5999;
}

/**
 * The table row of a code; an unknown code of a known class gets its class's x000 row under its own number
 * (§9.13). Throws RangeError outside 1000-5999.
 */
export function papCodeInfo(code: number): PapCodeInfo {
  if (!isPapCode(code)) throw new RangeError(`${code} is not a PAP status code (1000-5999)`);
  const known = BY_CODE.get(code);
  if (known) return known;
  const base = BY_CODE.get(Math.floor(code / 1000) * 1000)!;
  return { ...base, code, name: `${base.name} (unlisted ${code})` };
}

/** 1000 OK or 1001 Accepted for Processing (and any other 1xxx, per §9.13). */
export function isPapSuccess(code: number): boolean {
  return isPapCode(code) && code < 2000;
}
