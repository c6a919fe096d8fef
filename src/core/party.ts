import { isShortCode, normaliseE164, parseAddress } from '../../protocols/address/index.js';
import type { Party } from './message.js';

/**
 * An address a client names (a sender or recipient of a submission, a VASP's configured sender) -> the
 * party the message model keeps: a short code (3-8 digits), an e-mail address, or a number in +E.164
 * (digits without + are international; 00 is the international prefix). Throws an Error saying why not;
 * each edge turns it into its own refusal (MM7 2002, REST 400), and the config check into a start error.
 */
export function partyOf(kind: 'number' | 'shortCode' | 'email', value: string): Party {
  const v = value.trim();
  if (kind === 'shortCode') {
    if (!isShortCode(v)) throw new Error('a short code is 3 to 8 digits');
    return { address: v, type: 'shortcode' };
  }
  if (kind === 'email') {
    const parsed = parseAddress(v);
    if (parsed.kind !== 'email') throw new Error('not an e-mail address');
    return { address: parsed.address, type: 'email' };
  }
  const digits = v.replace(/[\s().-]/g, '');
  return { address: normaliseE164(digits.startsWith('+') || digits.startsWith('00') ? digits : `+${digits}`), type: 'plmn' };
}
