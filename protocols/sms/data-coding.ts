/**
 * SMPP data_coding (SMPP v3.4 §5.2.19) and what the decoder does with each value.
 *
 * 0x00-0x0F are SMPP's own list. Of the rest, SMPP 3.4 reserves everything except three groups that defer to
 * the GSM Data Coding Scheme (GSM 03.38 = 3GPP TS 23.038 §4):
 *   1100xxxx, 1101xxxx  GSM MWI control, discard / store message: text in the GSM 7-bit default alphabet
 *   1111xxxx            GSM message class control: bit 2 = 0 default alphabet, 1 8-bit data
 * 1110xxxx (UCS-2 MWI in TS 23.038) is reserved in SMPP 3.4 and is not decoded.
 */

/** SMPP v3.4 §5.2.19, the values 0x00-0x0F. */
export const DATA_CODING = {
  SMSC_DEFAULT: 0x00, // SMSC Default Alphabet (read as GSM 7-bit, one septet per octet, unless told otherwise)
  IA5: 0x01, // IA5 (CCITT T.50) / ASCII (ANSI X3.4)
  OCTET_UNSPECIFIED_2: 0x02, // Octet unspecified (8-bit binary)
  LATIN1: 0x03, // Latin 1 (ISO-8859-1)
  OCTET_UNSPECIFIED: 0x04, // Octet unspecified (8-bit binary)
  JIS: 0x05, // JIS (X 0208-1990)
  CYRILLIC: 0x06, // Cyrillic (ISO-8859-5)
  LATIN_HEBREW: 0x07, // Latin/Hebrew (ISO-8859-8)
  UCS2: 0x08, // UCS2 (ISO/IEC-10646)
  PICTOGRAM: 0x09, // Pictogram Encoding
  MUSIC_CODES: 0x0a, // ISO-2022-JP (Music Codes)
  EXTENDED_KANJI: 0x0d, // Extended Kanji JIS (X 0212-1990)
  KS_C_5601: 0x0e, // KS C 5601
} as const;

/** How user data is read. 'smsc-default' is data_coding 0, whose alphabet the SMSC defines (see DecodeOptions). */
export type Alphabet = 'smsc-default' | 'gsm7' | 'ascii' | 'latin1' | 'ucs2' | 'binary';

/** data_coding 0x00-0x0F -> alphabet; absent = not decoded (JIS, Cyrillic, Hebrew, pictogram, ... and reserved). */
const LOW_VALUES: ReadonlyMap<number, Alphabet> = new Map<number, Alphabet>([
  [DATA_CODING.SMSC_DEFAULT, 'smsc-default'],
  [DATA_CODING.IA5, 'ascii'],
  [DATA_CODING.OCTET_UNSPECIFIED_2, 'binary'],
  [DATA_CODING.LATIN1, 'latin1'],
  [DATA_CODING.OCTET_UNSPECIFIED, 'binary'],
  [DATA_CODING.UCS2, 'ucs2'],
]);

/** The alphabet for a data_coding value, or undefined when it is reserved or one we do not decode. */
export function alphabetOf(dataCoding: number): Alphabet | undefined {
  if (!Number.isInteger(dataCoding) || dataCoding < 0 || dataCoding > 0xff) return undefined;
  if (dataCoding <= 0x0f) return LOW_VALUES.get(dataCoding);
  const group = dataCoding >> 4;
  if (group === 0xc || group === 0xd) return 'gsm7'; // TS 23.038 §4 MWI groups, default alphabet
  if (group === 0xf) return dataCoding & 0x04 ? 'binary' : 'gsm7'; // TS 23.038 §4 data coding/message class
  return undefined;
}
