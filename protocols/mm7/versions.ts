/**
 * MM7 schema namespaces (3GPP TS 23.140 §8.7, the XML schemas published under
 * http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/) and the MM7Version string that goes with
 * each. The namespace names the schema; MM7Version names the 23.140 version, and the two drift independently
 * in the wild (instantcom's REL-6-MM7-1-4 sample carries 6.7.0, an Ericsson-era REL-5-MM7-1-3 fault carries
 * 5.3.0), so the parser never cross-checks them: it keeps both exactly as received and the server answers in
 * the same pair.
 *
 * Where each pairing comes from (23.140 has no such table; a schema appears in the spec version that first
 * references it):
 * - REL-5-MM7-1-0 = 5.3.0: first 23.140 with an MM7 schema (v5.3.0); also what REL-5 senders put in MM7Version.
 * - REL-5-MM7-1-1 = 5.5.0, REL-5-MM7-1-2 = 5.6.0: spec versions that introduced them (the lead's table).
 * - REL-5-MM7-1-3 = 5.10.0: UNVERIFIED (the lead's table, marked "?"); the public samples using this
 *   namespace all send 5.3.0, which is why MM7Version is kept as received.
 * - REL-6-MM7-1-0 = 6.3.0: public VASP samples send exactly this pair.
 * - REL-6-MM7-1-1 = 6.5.0, REL-6-MM7-1-2 = 6.6.0, REL-6-MM7-1-3 = 6.7.0: UNVERIFIED, inferred from the
 *   23.140 Rel-6 version sequence; only used as the default MM7Version when a namespace is given without one.
 * - REL-6-MM7-1-4 = 6.8.0: Nokia MC5.0 captures and Sinch's MM7 docs (vectors/mm7) send exactly this pair.
 */

export const MM7_SCHEMA_BASE = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/';

/** SOAP 1.1 envelope namespace (MM7 is SOAP 1.1, TS 23.140 §8.7.1). */
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** SOAP 1.2 envelope: not MM7, but accepted on input from confused stacks. */
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';

/** [schema id, release, schema major, schema minor, MM7Version] — see the header for each row's source. */
export const MM7_SCHEMAS = [
  ['REL-5-MM7-1-0', 5, 1, 0, '5.3.0'],
  ['REL-5-MM7-1-1', 5, 1, 1, '5.5.0'],
  ['REL-5-MM7-1-2', 5, 1, 2, '5.6.0'],
  ['REL-5-MM7-1-3', 5, 1, 3, '5.10.0'],
  ['REL-6-MM7-1-0', 6, 1, 0, '6.3.0'],
  ['REL-6-MM7-1-1', 6, 1, 1, '6.5.0'],
  ['REL-6-MM7-1-2', 6, 1, 2, '6.6.0'],
  ['REL-6-MM7-1-3', 6, 1, 3, '6.7.0'],
  ['REL-6-MM7-1-4', 6, 1, 4, '6.8.0'],
] as const;

export type Mm7SchemaId = (typeof MM7_SCHEMAS)[number][0];

export interface Mm7Schema {
  id: Mm7SchemaId;
  /** The canonical namespace URI of this schema. */
  namespace: string;
  release: 5 | 6;
  /** The MM7Version this schema was published with. */
  mm7Version: string;
}

const SCHEMAS: readonly Mm7Schema[] = MM7_SCHEMAS.map(([id, release, , , mm7Version]) => ({
  id,
  namespace: MM7_SCHEMA_BASE + id,
  release,
  mm7Version,
}));

/** The namespace of the newest schema, used when nothing else says which one to speak. */
export const DEFAULT_MM7_NAMESPACE = MM7_SCHEMA_BASE + 'REL-6-MM7-1-4';

// Any host/scheme is accepted: only the trailing schema name identifies MM7. Seen in the wild: REL-6-MM7-6-7.
const REL_SHAPED = /\/schema\/REL-(\d+)-MM7-(\d+)-(\d+)\/?$/i;

/**
 * The known schema a namespace URI stands for, or undefined when it is not an MM7 namespace of release 5
 * or 6. Unknown-but-REL-shaped names (REL-6-MM7-6-7) map to the nearest known schema of the same release:
 * the newest one not above it, else the oldest.
 */
export function schemaForNamespace(ns: string): Mm7Schema | undefined {
  const m = REL_SHAPED.exec(ns.trim());
  if (!m) return undefined;
  const release = Number(m[1]);
  if (release !== 5 && release !== 6) return undefined;
  const key = Number(m[2]) * 1000 + Number(m[3]);
  const rows = MM7_SCHEMAS.filter((r) => r[1] === release);
  let pick = rows[0];
  for (const r of rows) if (r[2] * 1000 + r[3] <= key) pick = r;
  return SCHEMAS.find((s) => s.id === pick[0]);
}

/** True for a namespace this codec speaks (see schemaForNamespace). */
export function isMm7Namespace(ns: string): boolean {
  return schemaForNamespace(ns) !== undefined;
}

/** MM7Version is "major.minor.patch" (TS 23.140 §8.7.x MM7Version); only 5.x.y and 6.x.y are supported. */
export function isSupportedVersion(mm7Version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(mm7Version.trim());
  return m !== null && (m[1] === '5' || m[1] === '6');
}

/**
 * The schema to answer in when a message carries an MM7Version but no namespace at all: the exact match
 * from the table, else the newest schema of that release.
 */
export function schemaForVersion(mm7Version: string): Mm7Schema | undefined {
  if (!isSupportedVersion(mm7Version)) return undefined;
  const v = mm7Version.trim();
  const exact = SCHEMAS.find((s) => s.mm7Version === v);
  if (exact) return exact;
  const release = v.startsWith('5.') ? 5 : 6;
  const ofRelease = SCHEMAS.filter((s) => s.release === release);
  return ofRelease[ofRelease.length - 1];
}

/**
 * The namespace/MM7Version pair to speak for a configured schema: a schema id ('REL-6-MM7-1-4') or a
 * namespace URI. Unknown-but-REL-shaped names map as in schemaForNamespace, a URI is kept as given.
 * Throws RangeError for anything else (a configuration error, not a peer's).
 */
export function namespaceFor(schema: string): { namespace: string; mm7Version: string } {
  const s = schema.trim();
  const isUri = s.includes('/');
  const known = schemaForNamespace(isUri ? s : '/schema/' + s);
  if (known === undefined) throw new RangeError(`${s.slice(0, 80)} is not an MM7 REL-5/REL-6 schema`);
  return { namespace: isUri ? s : known.id === s ? known.namespace : MM7_SCHEMA_BASE + s, mm7Version: known.mm7Version };
}

/** Every known schema, oldest first. */
export function knownSchemas(): readonly Mm7Schema[] {
  return SCHEMAS;
}
