import type { ResponseStatus } from '../../protocols/mms/index.js';
import { REFUSALS, type RefusalCode } from '../core/refusals.js';

/**
 * The X-Mms-Response-Status (OMA-TS-MMS_ENC §7.3.48) of a refusal, in the MMS version the handset spoke:
 * 1.0's generic code, or 1.1's transient/permanent one (the catalogue has both, and why each). When the PDU
 * could not be read far enough to know the version, the 1.0 form every version understands.
 */
export function responseStatus(code: RefusalCode, mmsVersion: string | undefined): ResponseStatus {
  const m = mmsVersion === undefined ? undefined : /^(\d+)\.(\d+)/.exec(mmsVersion);
  const modern = m !== null && m !== undefined && (Number(m[1]) > 1 || Number(m[2]) >= 1);
  const { v10, v11 } = REFUSALS[code].mm1;
  return modern ? v11 : v10;
}
