import type { ResponseStatus } from '../../protocols/mms/index.js';
import type { Mm1Statuses } from '../core/refusals.js';

/** Why a handset's request is refused; each maps to an X-Mms-Response-Status (OMA-TS-MMS_ENC §7.3.48). */
export type Refusal =
  | 'format-corrupt'
  | 'address-unresolved'
  | 'content-not-accepted'
  | 'unsupported-message'
  | 'service-denied'
  | 'too-many-recipients'
  | 'network-problem'
  | 'throttled'
  | 'unspecified';

/**
 * §7.3.48: MMS 1.0 has one generic code per reason (0x81-0x88); 1.1 and later split them into transient
 * (0xC_) and permanent (0xE_) ones and make the old ones obsolete. A handset is answered in the version it
 * spoke; when its PDU could not be read far enough to know, in the 1.0 form every version understands.
 */
const BY_VERSION: Record<Refusal, readonly [ResponseStatus, ResponseStatus]> = {
  'format-corrupt': ['Error-message-format-corrupt', 'Error-permanent-message-format-corrupt'],
  'address-unresolved': ['Error-sending-address-unresolved', 'Error-permanent-sending-address-unresolved'],
  'content-not-accepted': ['Error-content-not-accepted', 'Error-permanent-content-not-accepted'],
  'unsupported-message': ['Error-unsupported-message', 'Error-unsupported-message'],
  'service-denied': ['Error-service-denied', 'Error-permanent-service-denied'],
  // More recipients than the operator allows in one m-send-req (mm1.maxRecipients): the PDU is well formed
  // and every address may resolve, so neither format-corrupt nor sending-address-unresolved; the content is
  // not at fault either (content-not-accepted). What is refused is the service asked for, by the MMSC's
  // policy, and sending the same request again fails the same way: permanent service-denied (0xE1; 1.0:
  // Error-service-denied, 0x82). Response-Text names the limit, so the user can split the message.
  'too-many-recipients': ['Error-service-denied', 'Error-permanent-service-denied'],
  'network-problem': ['Error-network-problem', 'Error-transient-network-problem'],
  // Over the subscriber's submission rate: a transient failure (try again later); 1.0 has no transient
  // codes, and its network-problem is the one handsets retry.
  throttled: ['Error-network-problem', 'Error-transient-failure'],
  unspecified: ['Error-unspecified', 'Error-permanent-failure'],
};

export function responseStatus(reason: Refusal, mmsVersion: string | undefined): ResponseStatus {
  return BY_VERSION[reason][modern(mmsVersion) ? 1 : 0];
}

/** A catalogue refusal's Response-Status (core/refusals.ts, the entry's `mm1`), in the version the handset spoke. */
export function catalogueStatus(statuses: Mm1Statuses, mmsVersion: string | undefined): ResponseStatus {
  return (modern(mmsVersion) ? statuses.v11 : statuses.v10) as ResponseStatus;
}

/** MMS 1.1 or later: the version with transient and permanent codes. */
function modern(mmsVersion: string | undefined): boolean {
  const m = mmsVersion === undefined ? undefined : /^(\d+)\.(\d+)/.exec(mmsVersion);
  return m !== null && m !== undefined && (Number(m[1]) > 1 || Number(m[2]) >= 1);
}

/** A handset request the MMSC refuses, with the reason its answer carries. */
export class Mm1Refusal extends Error {
  override readonly name = 'Mm1Refusal';
  readonly code = 'MM1_REFUSED';
  constructor(
    readonly reason: Refusal,
    message: string,
  ) {
    super(message);
  }
}
