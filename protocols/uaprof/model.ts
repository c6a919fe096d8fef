/**
 * What the gateway reads of a UAProf document (OMA-TS-UAProf-V2_0, WAP-248-UAProf; the MMS characteristics
 * of OMA-TS-MMS_CONF / WAP-209 MMSEncapsulation Annex: the `MmsCharacteristics` component). Values as the
 * profile gives them, trimmed; unset when the profile does not say.
 */
export interface UaProfile {
  /** MmsMaxMessageSize, in bytes. */
  mmsMaxMessageSize?: number;
  /** MmsMaxImageResolution, e.g. "640x480" (an `X` too). */
  mmsMaxImageResolution?: { width: number; height: number };
  /** MmsCcppAccept: media types (lower case), from an rdf:Bag or rdf:Seq. */
  mmsCcppAccept: string[];
  /** MmsCcppAcceptCharSet (as written, e.g. "utf-8", "US-ASCII"). */
  mmsCcppAcceptCharSet: string[];
  /** MmsVersion, e.g. ["1.0", "1.2"]. */
  mmsVersion: string[];
  /** Any MMS characteristic present: false marks a handset that takes no MMS (text only). */
  hasMms: boolean;
  /** ScreenSize of the HardwarePlatform component, when given (a bound for images when MmsMaxImageResolution is not). */
  screenSize?: { width: number; height: number };
}

/** Why a document cannot be read as a UAProf: typed for the fetcher's metrics and logs. */
export class UaProfError extends Error {
  override readonly name = 'UaProfError';
  constructor(
    readonly code: 'uaprof-malformed' | 'uaprof-too-large' | 'uaprof-forbidden-construct',
    message: string,
  ) {
    super(message);
  }
}
