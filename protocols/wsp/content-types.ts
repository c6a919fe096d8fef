/**
 * Well-known content types, WAP-230-WSP Appendix A Table 40 as extended by the OMA Naming Authority
 * (WINA "Content Types" registry). Index = assigned number.
 */
export const WELL_KNOWN_CONTENT_TYPES = [
  '*/*', // 0x00
  'text/*',
  'text/html',
  'text/plain',
  'text/x-hdml',
  'text/x-ttml',
  'text/x-vCalendar',
  'text/x-vCard',
  'text/vnd.wap.wml',
  'text/vnd.wap.wmlscript',
  'text/vnd.wap.wta-event', // 0x0A
  'multipart/*',
  'multipart/mixed',
  'multipart/form-data',
  'multipart/byteranges', // WAP-230 misspells it "byterantes"; the meaning is RFC 7233's
  'multipart/alternative',
  'application/*', // 0x10
  'application/java-vm',
  'application/x-www-form-urlencoded',
  'application/x-hdmlc',
  'application/vnd.wap.wmlc',
  'application/vnd.wap.wmlscriptc',
  'application/vnd.wap.wta-eventc',
  'application/vnd.wap.uaprof',
  'application/vnd.wap.wtls-ca-certificate',
  'application/vnd.wap.wtls-user-certificate',
  'application/x-x509-ca-cert',
  'application/x-x509-user-cert',
  'image/*',
  'image/gif',
  'image/jpeg',
  'image/tiff',
  'image/png', // 0x20
  'image/vnd.wap.wbmp',
  'application/vnd.wap.multipart.*',
  'application/vnd.wap.multipart.mixed',
  'application/vnd.wap.multipart.form-data',
  'application/vnd.wap.multipart.byteranges',
  'application/vnd.wap.multipart.alternative',
  'application/xml',
  'text/xml',
  'application/vnd.wap.wbxml',
  'application/x-x968-cross-cert',
  'application/x-x968-ca-cert',
  'application/x-x968-user-cert',
  'text/vnd.wap.si',
  'application/vnd.wap.sic',
  'text/vnd.wap.sl',
  'application/vnd.wap.slc', // 0x30
  'text/vnd.wap.co',
  'application/vnd.wap.coc',
  'application/vnd.wap.multipart.related',
  'application/vnd.wap.sia',
  'text/vnd.wap.connectivity-xml',
  'application/vnd.wap.connectivity-wbxml',
  'application/pkcs7-mime',
  'application/vnd.wap.hashed-certificate',
  'application/vnd.wap.signed-certificate',
  'application/vnd.wap.cert-response',
  'application/xhtml+xml',
  'application/wml+xml',
  'text/css',
  'application/vnd.wap.mms-message',
  'application/vnd.wap.rollover-certificate',
  'application/vnd.wap.locc+wbxml', // 0x40
  'application/vnd.wap.loc+xml',
  'application/vnd.syncml.dm+wbxml',
  'application/vnd.syncml.dm+xml',
  'application/vnd.syncml.notification',
  'application/vnd.wap.xhtml+xml',
  'application/vnd.wv.csp.cir',
  'application/vnd.oma.dd+xml',
  'application/vnd.oma.drm.message',
  'application/vnd.oma.drm.content',
  'application/vnd.oma.drm.rights+xml',
  'application/vnd.oma.drm.rights+wbxml',
  'application/vnd.wv.csp+xml',
  'application/vnd.wv.csp+wbxml',
  'application/vnd.syncml.ds.notification',
  'audio/*',
  'video/*', // 0x50
  'application/vnd.oma.dd2+xml',
  'application/mikey',
  'application/vnd.oma.dcd',
  'application/vnd.oma.dcdc',
] as const;

/** Registered by third parties in the WINA registry (two-octet assigned numbers). */
export const REGISTERED_CONTENT_TYPES: ReadonlyArray<readonly [number, string]> = [
  [0x0201, 'application/vnd.uplanet.cacheop-wbxml'],
  [0x0202, 'application/vnd.uplanet.signal'],
  [0x0203, 'application/vnd.uplanet.alert-wbxml'],
  [0x0204, 'application/vnd.uplanet.list-wbxml'],
  [0x0205, 'application/vnd.uplanet.listcmd-wbxml'],
  [0x0206, 'application/vnd.uplanet.channel-wbxml'],
  [0x0207, 'application/vnd.uplanet.provisioning-status-uri'],
  [0x0208, 'x-wap.multipart/vnd.uplanet.header-set'],
  [0x0209, 'application/vnd.uplanet.bearer-choice-wbxml'],
  [0x020a, 'application/vnd.phonecom.mmc-wbxml'],
  [0x020b, 'application/vnd.nokia.syncset+wbxml'],
  [0x020c, 'image/x-up-wpng'],
  [0x0300, 'application/iota.mmc-wbxml'],
  [0x0301, 'application/iota.mmc-xml'],
];

const BY_CODE = new Map<number, string>();
const BY_NAME = new Map<string, number>();
WELL_KNOWN_CONTENT_TYPES.forEach((name, code) => BY_CODE.set(code, name));
for (const [code, name] of REGISTERED_CONTENT_TYPES) BY_CODE.set(code, name);
for (const [code, name] of BY_CODE) BY_NAME.set(name.toLowerCase(), code);

/** The assigned numbers (0x00-0x0301) as an array: a decode looks one up for every part. */
const NAME_BY_CODE: (string | undefined)[] = Array.from({ length: Math.max(...BY_CODE.keys()) + 1 }, (_, code) => BY_CODE.get(code));

export function contentTypeName(code: number): string | undefined {
  return NAME_BY_CODE[code];
}

/** Assigned number of a media type (case-insensitive), if it has one. */
export function contentTypeCode(name: string): number | undefined {
  // Names come in lower case nearly always: look the name up as it is before lowering a copy of it.
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

/** True for the media types whose body is a WSP multipart (WAP-230 8.5). */
export function isMultipart(mediaType: string): boolean {
  // Most parts are image/, text/, audio/...: settled by the first letter without lowering the whole string.
  const c = mediaType.charCodeAt(0) | 0x20;
  if (c !== 0x61 && c !== 0x6d) return false;
  return startsWithFolded(mediaType, 'application/vnd.wap.multipart.') || startsWithFolded(mediaType, 'multipart/');
}

/** s starts with `prefix` (lower case) ignoring the case of ASCII letters in s. */
function startsWithFolded(s: string, prefix: string): boolean {
  if (s.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}
