/**
 * A UAProf document (OMA-TS-UAProf-V2_0 / WAP-248-UAProf: RDF/XML over the CC/PP structure) -> what the
 * gateway reads of it (model.ts). Profiles are fetched from URLs handsets name, so they are hostile input:
 * the shared XML pre-scan (protocols/xml) bounds the size, counts and nesting and refuses a DTD internal subset and
 * entity declaration before fast-xml-parser sees the text; entity expansion is off.
 *
 * Real profiles are written in many dialects, and all of them are read:
 * - properties are matched by namespace URI and local name, never by prefix (`prf:`, `mms:`, `ns1:` ...);
 *   the MMS properties are in whichever schema version the vendor chose (ccppschema-20010111, -20020710,
 *   -20021212 ...), under wapforum.org or openmobilealliance.org: any URI with `/profiles/UAPROF/` or
 *   `/profiles/MMS/` in it (case-insensitive);
 * - the RDF namespace with or without its trailing `#`;
 * - multi-valued properties as `rdf:Bag` or `rdf:Seq` (or `rdf:Alt`) of `rdf:li`, or a plain text list;
 * - a property as an element or as an attribute of its `rdf:Description` (RDF/XML property attributes);
 * - `640x480`, `2048X2048`, surrounding and trailing white space;
 * - old names (`MmsCcppAccept-CharSet`, WAP-209 era) next to the current ones;
 * - values under `prf:Defaults` give way to the same property given outside it (UAProf §6.4).
 */
import { XMLValidator } from 'fast-xml-parser';
import { attrValue, decodeReferences, decodeXmlBytes, markedParser, prescan, unmarkName, type XmlFail } from '../xml/index.js';
import { UaProfError, type UaProfile } from './model.js';

export interface UaProfLimits {
  /** The document's size in bytes (UTF-8 for a string). Default 256 KiB (content.uaprof.maxBytes). */
  maxBytes?: number;
  /** Start tags. Default 5,000 (a full vendor profile has 300 to 2,000; each costs parse time, see below). */
  maxElements?: number;
  /** Attributes, namespace declarations included. Default 5,000. */
  maxAttributes?: number;
  /** Tokens (protocols/xml/prescan.ts). Default 20,000. */
  maxTokens?: number;
  /** Element nesting. Default 32 (a profile needs about 7). */
  maxDepth?: number;
}

/**
 * The counts bound the time one document holds the event loop (the bytes alone do not: 256 KiB of short list
 * items is 7,000 elements): 5,000 elements cost 20-55 ms of CPU once warm (test/protocols/uaprof-hostile.test.ts).
 */
const DEFAULTS: Required<UaProfLimits> = {
  maxBytes: 262_144,
  maxElements: 5_000,
  maxAttributes: 5_000,
  maxTokens: 20_000,
  maxDepth: 32,
};

/** Items of one list kept at most, and characters of one value: the profile is stored and logged. */
const MAX_ITEMS = 256;
const MAX_VALUE_CHARS = 200;

const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns';

const fail: XmlFail = (code, detail) => {
  if (code === 'DOCTYPE') return new UaProfError('uaprof-forbidden-construct', detail);
  if (code === 'NOT_XML' || code === 'TOO_DEEP') return new UaProfError('uaprof-malformed', detail);
  return new UaProfError('uaprof-too-large', detail);
};

// Text kept untrimmed: values are trimmed one by one (a list given as text keeps its separators).
const parser = markedParser({ trimValues: false, cdataPropName: '#cdata' });

interface El {
  ns: string;
  local: string;
  /** Attributes other than namespace declarations: namespace URI ('' unprefixed), local name, value. */
  attrs: { ns: string; local: string; value: string }[];
  children: El[];
  text: string;
}

type OrderedNode = Record<string, unknown>;

/**
 * Parse a UAProf document (bytes per their BOM / XML declaration, UTF-8 by default; or text). Throws
 * UaProfError: `uaprof-too-large` (bytes or counts over the limits), `uaprof-forbidden-construct` (a DOCTYPE
 * or any markup declaration: entity tricks are refused, never expanded), `uaprof-malformed` (not XML, too deep,
 * no RDF root). A well-formed profile that says nothing of MMS is not an error: `hasMms` is false.
 */
export function parseUaProf(input: string | Buffer, limits: UaProfLimits = {}): UaProfile {
  const l = { ...DEFAULTS, ...limits };
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > l.maxBytes) throw new UaProfError('uaprof-too-large', `the profile is ${size} bytes, over ${l.maxBytes}`);
  let text = typeof input === 'string' ? input : decodeXmlBytes(input, fail);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // An external DOCTYPE (`<!DOCTYPE rdf:RDF SYSTEM "...">`, which some makers' profiles carry) is blanked out and
  // never fetched; an internal subset (where entities are declared) and any other declaration is refused.
  text = prescan(
    text,
    { maxElements: l.maxElements, maxAttributes: l.maxAttributes, maxTokens: l.maxTokens, maxDepth: l.maxDepth, doctype: 'allow-external' },
    fail,
  );
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) throw new UaProfError('uaprof-malformed', `not well-formed XML (line ${valid.err.line}: ${valid.err.code})`);
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch {
    throw new UaProfError('uaprof-malformed', 'not well-formed XML');
  }
  const roots = nodes.filter((n) => !('#text' in n) && !('#cdata' in n)).map((n) => build(n, new Map()));
  if (roots.length !== 1) throw new UaProfError('uaprof-malformed', 'not one root element');
  const root = roots[0]!;
  if (!isRdf(root.ns) || root.local !== 'RDF') throw new UaProfError('uaprof-malformed', 'the root is not rdf:RDF');
  return read(root);
}

/** The RDF namespace, with or without its `#` (both are found in deployed profiles). */
function isRdf(ns: string): boolean {
  return ns === RDF_NS || ns === `${RDF_NS}#`;
}

/** A namespace of the UAProf or MMS schemas, in any version, from either forum. */
function isProfileNs(ns: string): boolean {
  const u = ns.toLowerCase();
  return u.includes('/profiles/uaprof/') || u.includes('/profiles/mms/');
}

function split(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  if (colon < 0 && qname !== '') return ['', qname];
  if (colon > 0 && colon < qname.length - 1 && qname.indexOf(':', colon + 1) < 0) return [qname.slice(0, colon), qname.slice(colon + 1)];
  throw new UaProfError('uaprof-malformed', 'a name is not a valid namespace-qualified name');
}

function nsOf(scope: ReadonlyMap<string, string>, prefix: string): string {
  if (prefix === 'xml') return 'http://www.w3.org/XML/1998/namespace';
  const uri = scope.get(prefix);
  if (uri === undefined) throw new UaProfError('uaprof-malformed', 'an undeclared namespace prefix');
  return uri;
}

/** One node of fast-xml-parser's ordered output -> a namespace-resolved element (depth bounded by the pre-scan). */
function build(node: OrderedNode, scope: ReadonlyMap<string, string>): El {
  let tag: string | undefined;
  for (const key in node) if (key !== ':@') tag = key;
  if (tag === undefined) throw new UaProfError('uaprof-malformed', 'malformed element');
  const raw = node[':@'] as Record<string, unknown> | undefined;
  let inScope = scope;
  const plain: [string, string][] = [];
  if (raw !== undefined) {
    let own: Map<string, string> | undefined;
    for (const k in raw) {
      const name = unmarkName(k);
      const value = attrValue(String(raw[k]), fail);
      if (name === 'xmlns') (own ??= new Map(scope)).set('', value);
      else if (name.startsWith('xmlns:')) (own ??= new Map(scope)).set(name.slice(6), value);
      else plain.push([name, value]);
    }
    if (own) inScope = own;
  }
  const [prefix, local] = split(unmarkName(tag));
  const ns = prefix === '' ? (inScope.get('') ?? '') : nsOf(inScope, prefix);
  const attrs = plain.map(([name, value]) => {
    const [p, l] = split(name);
    return { ns: p === '' ? '' : nsOf(inScope, p), local: l, value };
  });
  const children: El[] = [];
  let text = '';
  const content = node[tag];
  if (Array.isArray(content)) {
    for (const child of content as OrderedNode[]) {
      if ('#text' in child) text += decodeReferences(String(child['#text']), fail);
      else if ('#cdata' in child) for (const piece of child['#cdata'] as OrderedNode[]) text += String(piece['#text'] ?? '');
      else children.push(build(child, inScope));
    }
  }
  return { ns, local, attrs, children, text };
}

/** The properties read, by local name (old spellings folded onto the current ones). */
const PROPERTIES: Readonly<Record<string, keyof Found>> = {
  MmsMaxMessageSize: 'size',
  MmsMaxImageResolution: 'resolution',
  MmsCcppAccept: 'accept',
  MmsCcppAcceptCharSet: 'charsets',
  'MmsCcppAccept-CharSet': 'charsets',
  MmsVersion: 'versions',
  ScreenSize: 'screen',
};

/** Each property's values as written (a list for every one: single values are lists of one). */
interface Found {
  size?: string[];
  resolution?: string[];
  accept?: string[];
  charsets?: string[];
  versions?: string[];
  screen?: string[];
  /** Some Mms* property of a profile namespace was there, known to us or not. */
  mms?: boolean;
}

/** Walks the whole tree: properties as elements or attributes, anywhere below rdf:RDF. */
function read(root: El): UaProfile {
  const given: Found = {};
  const defaults: Found = {};
  const walk = (e: El, inDefaults: boolean): void => {
    const into = inDefaults ? defaults : given;
    for (const a of e.attrs) if (isProfileNs(a.ns)) take(into, a.local, a.value, undefined);
    for (const c of e.children) {
      if (isProfileNs(c.ns) && take(into, c.local, c.text, c)) continue;
      walk(c, inDefaults || (isProfileNs(c.ns) && c.local === 'Defaults'));
    }
  };
  walk(root, false);
  const f: Found = { ...defaults, ...stripUndefined(given) };
  const profile: UaProfile = {
    mmsCcppAccept: dedupe(
      (f.accept ?? []).map((t) => t.split(';')[0]!.trim().toLowerCase()).filter((t) => /^[a-z0-9.+*-]+\/[a-z0-9.+*-]+$/.test(t)),
    ),
    mmsCcppAcceptCharSet: dedupe(f.charsets ?? []),
    mmsVersion: dedupe(f.versions ?? []),
    hasMms: given.mms === true || defaults.mms === true,
  };
  const size = f.size?.[0];
  if (size !== undefined && /^\d{1,12}$/.test(size) && Number(size) > 0) profile.mmsMaxMessageSize = Number(size);
  const res = dimensions(f.resolution?.[0]);
  if (res) profile.mmsMaxImageResolution = res;
  const screen = dimensions(f.screen?.[0]);
  if (screen) profile.screenSize = screen;
  return profile;
}

/** Properties with one value (the others are lists). */
const SINGLE = new Set<keyof Found>(['size', 'resolution', 'screen']);

/**
 * Records a property's values when `local` is one read (from an element `e`, or an attribute's `text`); true
 * when it was an Mms* or known property (its subtree is done).
 */
function take(into: Found, local: string, text: string, e: El | undefined): boolean {
  const key = PROPERTIES[local];
  if (local.startsWith('Mms')) into.mms = true;
  if (key === undefined || key === 'mms') return local.startsWith('Mms');
  const listed = e ? listItems(e) : undefined;
  if (SINGLE.has(key)) into[key] = [(listed?.[0] ?? text).trim()];
  else into[key] = listed ?? splitList(text);
  return true;
}

/** The rdf:li of a property's rdf:Bag / rdf:Seq / rdf:Alt, or undefined when it has none (a literal). */
function listItems(e: El): string[] | undefined {
  const container = e.children.find((c) => isRdf(c.ns) && (c.local === 'Bag' || c.local === 'Seq' || c.local === 'Alt'));
  if (container) {
    const out: string[] = [];
    for (const li of container.children) {
      if (!isRdf(li.ns) || li.local !== 'li') continue;
      const v = li.text.trim();
      if (v !== '' && v.length <= MAX_VALUE_CHARS && out.length < MAX_ITEMS) out.push(v);
    }
    return out;
  }
  return undefined;
}

/** A list written as a literal (old profiles: `1.0`, `image/jpeg, image/gif`). */
function splitList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .filter((v) => v !== '' && v.length <= MAX_VALUE_CHARS)
    .slice(0, MAX_ITEMS);
}

/** `640x480`, `2048X2048`, `176 x 208`: two positive integers of at most 5 digits. */
function dimensions(v: string | undefined): { width: number; height: number } | undefined {
  const m = v === undefined ? null : /^(\d{1,5})\s*[xX*]\s*(\d{1,5})$/.exec(v.trim());
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

function stripUndefined(f: Found): Found {
  const out: Found = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
