// Typed model of an MMS address (OMA-TS-MMS_ENC 1.3 §8 "Address encoding"),
// i.e. one To/From/Cc/Bcc header value. Values are held in canonical form so
// that parseAddress(formatAddress(a)) deep-equals a:
// - plmn.number: digits with an optional leading '+', separators removed;
//   a local (no '+') number of 3-8 digits is a shortcode, never a plmn.
// - shortcode.code: 3-8 digits (sent as "<code>/TYPE=PLMN").
// - ipv4.address: four decimal octets without leading zeros.
// - ipv6.address: as received (RFC 4291 text form, no zone id).
// - email.address: the RFC 5322 addr-spec; displayName, when present, is
//   non-empty and unescaped.
// - other: a user-defined "/TYPE=" (§8 address-type); value is the
//   escaped-value exactly as on the wire (%HH escapes are not decoded).

export type MmsAddress =
  | { kind: 'plmn'; number: string }
  | { kind: 'ipv4'; address: string }
  | { kind: 'ipv6'; address: string }
  | { kind: 'email'; address: string; displayName?: string }
  | { kind: 'shortcode'; code: string }
  | { kind: 'other'; type: string; value: string };

export type MmsAddressKind = MmsAddress['kind'];
