import { DATA_CODING } from './data-coding.js';
import { SmsError } from './errors.js';
import { canEncodeGsm7, toSeptets } from './gsm7.js';
import { toUcs2 } from './ucs2.js';

/**
 * Choosing the alphabet for outgoing text: the GSM 7-bit default alphabet (TS 23.038 §6.2.1, with the
 * extension table §6.2.1.1) when every character is in it, else UCS-2 (§6.2.3). National language shift
 * tables (§6.2.1.2) are not used.
 */

export type TextAlphabet = 'gsm7' | 'ucs2';

/** 'auto' (the default) picks GSM 7-bit when it can; 'gsm7' throws NOT_GSM7 when it cannot. */
export type AlphabetChoice = 'auto' | TextAlphabet;

export type EncodedText =
  /** data: septets, one per octet (SMPP data_coding 0, SMPP v3.4 §5.2.19); an extension character is ESC + septet. */
  | { alphabet: 'gsm7'; dataCoding: typeof DATA_CODING.SMSC_DEFAULT; data: Buffer }
  /** data: UTF-16BE code units (SMPP data_coding 8). */
  | { alphabet: 'ucs2'; dataCoding: typeof DATA_CODING.UCS2; data: Buffer };

/** The alphabet 'auto' picks for this text. */
export function chooseAlphabet(text: string): TextAlphabet {
  return canEncodeGsm7(text) ? 'gsm7' : 'ucs2';
}

export function encodeText(text: string, alphabet: AlphabetChoice = 'auto'): EncodedText {
  const chosen = alphabet === 'auto' ? chooseAlphabet(text) : alphabet;
  if (chosen === 'gsm7') return { alphabet: 'gsm7', dataCoding: DATA_CODING.SMSC_DEFAULT, data: toSeptets(text) };
  if (chosen === 'ucs2') return { alphabet: 'ucs2', dataCoding: DATA_CODING.UCS2, data: toUcs2(text) };
  throw new SmsError('BAD_ARGUMENT', `unknown alphabet ${String(alphabet)}`);
}
