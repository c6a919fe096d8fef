// Public API of the MMS address codec (OMA-TS-MMS_ENC 1.3 §8) and E.164 helpers.
export { AddressError } from './errors.js';
export type { AddressErrorCode } from './errors.js';
export type { MmsAddress, MmsAddressKind } from './model.js';
export { isShortCode, parseAddress } from './parse.js';
export { formatAddress } from './format.js';
export { isE164, normaliseE164 } from './e164.js';
export type { E164Options } from './e164.js';
