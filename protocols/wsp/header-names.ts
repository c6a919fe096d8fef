/**
 * WSP well-known header field names, WAP-230-WSP Appendix A Table 39 (encoding versions 1.1 to 1.5).
 * Index = assigned number. Used for the headers of multipart entries.
 */
export const WELL_KNOWN_HEADERS = [
  'Accept', // 0x00
  'Accept-Charset',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Ranges',
  'Age',
  'Allow',
  'Authorization',
  'Cache-Control',
  'Connection',
  'Content-Base',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Location', // 0x0E
  'Content-MD5',
  'Content-Range', // 0x10
  'Content-Type',
  'Date',
  'Etag',
  'Expires',
  'From',
  'Host',
  'If-Modified-Since',
  'If-Match',
  'If-None-Match',
  'If-Range',
  'If-Unmodified-Since',
  'Location',
  'Last-Modified',
  'Max-Forwards',
  'Pragma',
  'Proxy-Authenticate', // 0x20
  'Proxy-Authorization',
  'Public',
  'Range',
  'Referer',
  'Retry-After',
  'Server',
  'Transfer-Encoding',
  'Upgrade',
  'User-Agent',
  'Vary',
  'Via',
  'Warning',
  'WWW-Authenticate',
  'Content-Disposition', // 0x2E
  'X-Wap-Application-Id',
  'X-Wap-Content-URI', // 0x30
  'X-Wap-Initiator-URI',
  'Accept-Application',
  'Bearer-Indication',
  'Push-Flag',
  'Profile',
  'Profile-Diff',
  'Profile-Warning',
  'Expect',
  'TE',
  'Trailer',
  'Accept-Charset', // 0x3B (encoding 1.3)
  'Accept-Encoding', // 0x3C (1.3)
  'Cache-Control', // 0x3D (1.3)
  'Content-Range', // 0x3E (1.3)
  'X-Wap-Tod',
  'Content-ID', // 0x40
  'Set-Cookie',
  'Cookie',
  'Encoding-Version',
  'Profile-Warning', // 0x44 (1.4)
  'Content-Disposition', // 0x45 (1.4)
  'X-WAP-Security',
  'Cache-Control', // 0x47 (1.4)
  'Expect', // 0x48 (1.5)
  'X-Wap-Loc-Invocation',
  'X-Wap-Loc-Delivery',
] as const;

export const HEADER_CONTENT_LOCATION = 0x0e;
export const HEADER_CONTENT_DISPOSITION = 0x2e;
export const HEADER_CONTENT_DISPOSITION_14 = 0x45;
export const HEADER_CONTENT_ID = 0x40;

export function headerName(code: number): string | undefined {
  return WELL_KNOWN_HEADERS[code];
}
