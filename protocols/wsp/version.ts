/**
 * Version-value's short form (WAP-230 8.4.2.3), which MMS-Version uses too (OMA-TS-MMS_ENC §7.3.34): a
 * Short-integer with the major number in bits 6-4 and the minor in bits 3-0, written "major.minor" in the
 * model. Both directions as tables, made once: a PDU has a version in every header block.
 */
const NAMES: readonly string[] = Array.from({ length: 128 }, (_, v) => `${v >> 4}.${v & 0x0f}`);
const OCTETS: ReadonlyMap<string, number> = new Map(NAMES.map((name, v) => [name, v]));

/** "major.minor" of a Short-integer's value (0-127). */
export function versionName(value: number): string {
  return NAMES[value]!;
}

/** The Short-integer value of "major.minor" (major 0-7, minor 0-15, no leading zeros), or undefined. */
export function versionValue(name: string): number | undefined {
  return OCTETS.get(name);
}
