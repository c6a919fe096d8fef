import type { SmscConfig } from '../ops/config.js';
import type { SubmitSm } from './client.js';

/**
 * The address fields of a submit_sm (SMPP 3.4 §5.2.5-5.2.6) from the SMSC's configured source and a
 * recipient: a numeric source of up to 8 digits is a short code (TON 3 network specific), a longer one an
 * international number (TON 1), anything else alphanumeric (TON 5, NPI 0); a +E.164 recipient goes as
 * international digits (TON 1), any other as unknown (TON 0).
 */
export function submitAddresses(
  smsc: Pick<SmscConfig, 'sourceAddr'>,
  recipient: string,
): Pick<SubmitSm, 'sourceAddr' | 'sourceAddrTon' | 'sourceAddrNpi' | 'destinationAddr' | 'destAddrTon' | 'destAddrNpi'> {
  const numeric = /^\d+$/.test(smsc.sourceAddr);
  const international = recipient.startsWith('+');
  return {
    sourceAddr: smsc.sourceAddr,
    sourceAddrTon: numeric ? (smsc.sourceAddr.length <= 8 ? 3 : 1) : 5,
    sourceAddrNpi: numeric ? 1 : 0,
    destinationAddr: international ? recipient.slice(1) : recipient,
    destAddrTon: international ? 1 : 0,
    destAddrNpi: 1,
  };
}
