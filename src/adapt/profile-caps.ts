import type { UaProfile } from '../../protocols/uaprof/model.js';
import type { Capabilities } from './capabilities.js';

/**
 * What one source of the resolution order says of a handset: any field unset is left to the next source
 * (a UAProf without MmsMaxImageResolution or ScreenSize, a User-Agent class without dimensions...).
 */
export type HandsetLimits = Partial<Omit<Capabilities, 'source' | 'routeCapped'>>;

/**
 * Types every MMS client takes whatever its profile lists (OMA-TS-MMS_CONF, the content classes: text/plain in US-ASCII and
 * UTF-8, and the SMIL presentation, are mandatory for a conformant client): added to a profile's MmsCcppAccept
 * so that a profile listing media only does not make the planner drop the text and the SMIL.
 */
const MANDATORY_TYPES = ['text/plain', 'application/smil'] as const;

/** A media type as MmsCcppAccept writes it: `type/subtype` or `type/*`, parameters (`;q=0.5`) cut. */
const TYPE = /^[a-z0-9][a-z0-9.+-]*\/([a-z0-9][a-z0-9.+-]*|\*)$/;

/**
 * The limits a UAProf gives (OMA-TS-UAProf; the MmsCharacteristics component of WAP-209 / OMA-TS-MMS_CONF):
 * MmsMaxMessageSize, MmsMaxImageResolution (else the HardwarePlatform's ScreenSize), MmsCcppAccept (lower
 * case; `*\/*` or none: the default types decide), MmsCcppAcceptCharSet, MmsVersion. A profile without any
 * MMS characteristic marks the handset text-only (the SMS fallback).
 */
export function profileLimits(p: UaProfile): HandsetLimits {
  if (!p.hasMms) return { textOnly: true };
  const out: HandsetLimits = {};
  if (p.mmsMaxMessageSize !== undefined && Number.isSafeInteger(p.mmsMaxMessageSize) && p.mmsMaxMessageSize > 0)
    out.maxMessageBytes = p.mmsMaxMessageSize;
  const res = usable(p.mmsMaxImageResolution) ?? usable(p.screenSize);
  if (res) {
    out.maxImageWidth = res.width;
    out.maxImageHeight = res.height;
  }
  const types = acceptedTypes(p.mmsCcppAccept);
  if (types) out.contentTypes = types;
  if (p.mmsCcppAcceptCharSet.length > 0) out.charsets = p.mmsCcppAcceptCharSet.map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
  if (p.mmsVersion.length > 0) out.mmsVersions = p.mmsVersion.map((v) => v.trim()).filter((v) => v !== '');
  return out;
}

/** A resolution of positive whole pixels, else undefined (some profiles write 0x0 for "unknown"). */
function usable(r: { width: number; height: number } | undefined): { width: number; height: number } | undefined {
  if (!r) return undefined;
  const ok = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
  return ok(r.width) && ok(r.height) ? { width: r.width, height: r.height } : undefined;
}

/** MmsCcppAccept as types the planner can test (takesType), with the mandatory ones; undefined: the default decides. */
function acceptedTypes(accept: readonly string[]): string[] | undefined {
  const types = new Set<string>();
  for (const raw of accept) {
    const t = raw.split(';')[0]!.trim().toLowerCase();
    if (t === '*/*' || t === '*') return undefined;
    if (TYPE.test(t)) types.add(t);
  }
  if (types.size === 0) return undefined;
  for (const t of MANDATORY_TYPES) types.add(t);
  return [...types];
}
