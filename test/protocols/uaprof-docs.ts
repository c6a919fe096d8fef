// UAProf documents written by the tests, in each shape real profiles come in (issue 25): the namespaces and
// prefixes vendors used, rdf:Bag and rdf:Seq, the RDF namespace with and without '#', values in elements or
// attributes, `2048X2048`, trailing spaces, properties under prf:Defaults. Shared by the parser's tests and
// the fetcher's (served by a loopback HTTP server).

export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const UAPROF_2001 = 'http://www.wapforum.org/profiles/UAPROF/ccppschema-20010430#';
export const UAPROF_OMA = 'http://www.openmobilealliance.org/tech/profiles/UAPROF/ccppschema-20021212#';
export const MMS_2001 = 'http://www.wapforum.org/profiles/MMS/ccppschema-20010111#';

export interface DocOptions {
  /** The RDF namespace as declared (with or without '#'). */
  rdfNs?: string;
  /** Prefix of the RDF namespace. */
  rdf?: string;
  /** Namespace and prefix of the MMS properties. */
  mmsNs?: string;
  mms?: string;
  /** Namespace and prefix of prf:component / ScreenSize. */
  prfNs?: string;
  prf?: string;
  /** List container: Bag or Seq. */
  list?: 'Bag' | 'Seq';
  size?: string;
  resolution?: string;
  accept?: string[];
  charsets?: string[];
  versions?: string[];
  screen?: string;
  /** Write the single-valued MMS properties as attributes of the component's rdf:Description. */
  asAttributes?: boolean;
  /** Leave the MmsCharacteristics component out. */
  noMms?: boolean;
}

/** A profile document in the shape `o` describes. */
export function uaprofDoc(o: DocOptions = {}): string {
  const r = o.rdf ?? 'rdf';
  const m = o.mms ?? 'mms';
  const p = o.prf ?? 'prf';
  const list = o.list ?? 'Bag';
  const items = (name: string, vals: string[] | undefined) =>
    vals === undefined
      ? ''
      : `<${m}:${name}><${r}:${list}>${vals.map((v) => `<${r}:li>${v}</${r}:li>`).join('')}</${r}:${list}></${m}:${name}>\n`;
  const single = (name: string, v: string | undefined) => (v === undefined || o.asAttributes ? '' : `<${m}:${name}>${v}</${m}:${name}>\n`);
  const attrs = o.asAttributes
    ? [
        o.size !== undefined ? ` ${m}:MmsMaxMessageSize="${o.size}"` : '',
        o.resolution !== undefined ? ` ${m}:MmsMaxImageResolution="${o.resolution}"` : '',
      ].join('')
    : '';
  const mmsComponent = o.noMms
    ? ''
    : `<${p}:component>
  <${r}:Description ${r}:ID="MmsCharacteristics"${attrs}>
   <${r}:type ${r}:resource="${o.mmsNs ?? MMS_2001}MmsCharacteristics"/>
   ${single('MmsMaxMessageSize', o.size)}${single('MmsMaxImageResolution', o.resolution)}${items('MmsCcppAccept', o.accept)}${items('MmsCcppAcceptCharSet', o.charsets)}${items('MmsVersion', o.versions)}
  </${r}:Description>
 </${p}:component>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by the test -->
<${r}:RDF xmlns:${r}="${o.rdfNs ?? RDF}" xmlns:${p}="${o.prfNs ?? UAPROF_2001}"${m === p ? '' : ` xmlns:${m}="${o.mmsNs ?? MMS_2001}"`}>
<${r}:Description ${r}:ID="Profile">
 <${p}:component>
  <${r}:Description ${r}:ID="HardwarePlatform">
   <${r}:type ${r}:resource="${o.prfNs ?? UAPROF_2001}HardwarePlatform"/>
   ${o.screen !== undefined ? `<${p}:ScreenSize>${o.screen}</${p}:ScreenSize>` : ''}
   <${p}:Keyboard>PhoneKeypad</${p}:Keyboard>
  </${r}:Description>
 </${p}:component>
 ${mmsComponent}
</${r}:Description>
</${r}:RDF>
`;
}

/** The classic billion laughs: ten entities, each ten of the one before. */
export function billionLaughs(): string {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let k = 1; k <= 9; k++) dtd += `<!ENTITY lol${k} "${`&lol${k - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE rdf:RDF [${dtd}]><rdf:RDF xmlns:rdf="${RDF}"><x>&lol9;</x></rdf:RDF>`;
}

/** An external entity naming a local file (XXE). */
export function externalEntity(): string {
  return `<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rdf:RDF xmlns:rdf="${RDF}" xmlns:mms="${MMS_2001}"><rdf:Description><mms:MmsMaxMessageSize>&xxe;</mms:MmsMaxMessageSize></rdf:Description></rdf:RDF>`;
}
