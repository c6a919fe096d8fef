/**
 * Push Access Protocol 2.0 (WAP-247-PAP-20010429): the push submission a Push Initiator (the MMSC) sends to a
 * Push Proxy Gateway, and the PPG's answer. A pure codec: no I/O.
 */
export { PapError, type PapErrorCode } from './errors.js';
export type {
  PapBadMessageResponse,
  PapContent,
  PapDeliveryMethod,
  PapLimits,
  PapPushMessage,
  PapPushResponse,
  PapRequest,
  PapResponse,
} from './model.js';
export { PAP_CODES, isPapCode, isPapSuccess, papCodeInfo, type PapCodeClass, type PapCodeInfo } from './codes.js';
export {
  PAP_CONTROL_CONTENT_TYPE,
  PAP_DOCTYPE,
  buildPapControl,
  buildPapRequest,
  escapeXmlAttr,
  formatPapAddress,
  formatPapTimestamp,
} from './build.js';
export { DEFAULT_PAP_LIMITS, parsePapResponse } from './parse.js';
