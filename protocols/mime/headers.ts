// Header fields of a MIME entity (RFC 2045 §3 on RFC 5322 §2.2 syntax).

export interface MimeHeader {
  /** the field name as received */
  name: string;
  /** unfolded (RFC 5322 §2.2.3: each CRLF before WSP removed, the WSP kept), trimmed, not RFC 2047-decoded */
  value: string;
}

export class MimeHeaders {
  // A plain (TS-private) field, so deep-equality and inspection see the fields.
  private readonly list: readonly MimeHeader[];

  constructor(entries: MimeHeader[]) {
    this.list = entries.map((e) => ({ name: e.name, value: e.value }));
  }

  /** The first field of that name (case-insensitive, RFC 5322 §1.2.2). */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    return this.list.find((e) => e.name.toLowerCase() === n)?.value;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.list.filter((e) => e.name.toLowerCase() === n).map((e) => e.value);
  }

  entries(): readonly MimeHeader[] {
    return this.list;
  }
}
