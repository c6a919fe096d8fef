/**
 * Well-known parameters, WAP-230-WSP 8.4.2.4 and Appendix A Table 38, as data: assigned number -> name and
 * the form of its Typed-value. Encoding 1.4 re-assigned the text parameters to Text-value forms (0x17-0x1D);
 * both decode to the same name, and the encoder writes the 1.1-1.3 form that MMS handsets expect.
 */
export type ParamForm =
  | 'q' // Q-value
  | 'charset' // Well-known-charset
  | 'version' // Version-value
  | 'integer' // Integer-value
  | 'text' // Text-string
  | 'text-value' // Text-value = No-value | Token-text | Quoted-string
  | 'field-name' // Field-name
  | 'short' // Short-integer
  | 'constrained' // Constrained-encoding (a media type)
  | 'delta' // Delta-seconds-value
  | 'no-value' // No-value
  | 'date'; // Date-value

export const WELL_KNOWN_PARAMS: ReadonlyArray<readonly [code: number, name: string, form: ParamForm]> = [
  [0x00, 'q', 'q'],
  [0x01, 'charset', 'charset'],
  [0x02, 'level', 'version'],
  [0x03, 'type', 'integer'],
  [0x05, 'name', 'text'],
  [0x06, 'filename', 'text'],
  [0x07, 'differences', 'field-name'],
  [0x08, 'padding', 'short'],
  [0x09, 'type', 'constrained'], // multipart/related type (RFC 2387)
  [0x0a, 'start', 'text'],
  [0x0b, 'start-info', 'text'],
  [0x0c, 'comment', 'text'],
  [0x0d, 'domain', 'text'],
  [0x0e, 'max-age', 'delta'],
  [0x0f, 'path', 'text'],
  [0x10, 'secure', 'no-value'],
  [0x11, 'sec', 'short'],
  [0x12, 'mac', 'text-value'],
  [0x13, 'creation-date', 'date'],
  [0x14, 'modification-date', 'date'],
  [0x15, 'read-date', 'date'],
  [0x16, 'size', 'integer'],
  [0x17, 'name', 'text-value'],
  [0x18, 'filename', 'text-value'],
  [0x19, 'start', 'text-value'],
  [0x1a, 'start-info', 'text-value'],
  [0x1b, 'comment', 'text-value'],
  [0x1c, 'domain', 'text-value'],
  [0x1d, 'path', 'text-value'],
];

export interface ParamSpec {
  code: number;
  name: string;
  form: ParamForm;
}

export const PARAM_BY_CODE: ReadonlyArray<ParamSpec | undefined> = (() => {
  const t: (ParamSpec | undefined)[] = [];
  for (const [code, name, form] of WELL_KNOWN_PARAMS) t[code] = { code, name, form };
  return t;
})();

/** The code the encoder uses for a parameter name: the first (pre-1.4) assignment. */
const ENCODE_BY_NAME = new Map<string, ParamSpec>();
for (const spec of PARAM_BY_CODE) if (spec && !ENCODE_BY_NAME.has(spec.name)) ENCODE_BY_NAME.set(spec.name, spec);

/** The spec to encode parameter `name` with value kind; `type` is 0x03 for numbers and 0x09 for media types. */
export function paramSpecFor(name: string, value: unknown): ParamSpec | undefined {
  if (name === 'type') return typeof value === 'number' ? PARAM_BY_CODE[0x03] : PARAM_BY_CODE[0x09];
  return ENCODE_BY_NAME.get(name);
}
