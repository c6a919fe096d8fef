// A tiny DNS server on 127.0.0.1 (UDP, node:dgram) for ENUM tests: it answers each query with what the test's
// handler says: NAPTR records (RFC 3403 §4 RDATA), an rcode (NXDOMAIN, SERVFAIL), raw bytes (malformed
// answers), or nothing at all (a timeout). Written from RFC 1035 §4.1.
import { createSocket } from 'node:dgram';
import type { Test } from 'tap';

export interface NaptrRr {
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp: string;
  replacement?: string;
}

export type DnsReply =
  | { records: NaptrRr[] }
  /** 2 SERVFAIL, 3 NXDOMAIN (RFC 1035 §4.1.1); no answers. */
  | { rcode: number }
  /** The whole reply as bytes, given the query's id and question section (malformed answers). */
  | { raw: (id: number, question: Buffer) => Buffer }
  | { drop: true };

export interface DnsQuery {
  name: string;
  type: number;
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for Resolver.setServers. */
  address: string;
  queries: DnsQuery[];
}

const NAPTR = 35;

/** A domain name as labels (RFC 1035 §3.1); '' or '.' is the root. */
export function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** A <character-string> (RFC 1035 §3.3): one length octet, then the bytes. */
function charString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new RangeError('character-string over 255 bytes');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** NAPTR RDATA (RFC 3403 §4.1): ORDER, PREFERENCE, FLAGS, SERVICES, REGEXP, REPLACEMENT. */
export function naptrRdata(r: NaptrRr): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(r.order, 0);
  head.writeUInt16BE(r.preference, 2);
  return Buffer.concat([head, charString(r.flags), charString(r.service), charString(r.regexp), encodeName(r.replacement ?? '')]);
}

/** A reply header (RFC 1035 §4.1.1): QR, RD, RA set, the rcode, the counts. */
export function header(id: number, rcode: number, answers: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x8180 | rcode, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers, 6);
  return h;
}

/** An answer RR for the question's name (a pointer to offset 12), type NAPTR, class IN, TTL 60. */
export function answerRr(rdata: Buffer, rdlength = rdata.length): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(NAPTR, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(rdlength, 10);
  return Buffer.concat([rr, rdata]);
}

/** The question section of a query and what it asks. */
function readQuestion(msg: Buffer): { question: Buffer; name: string; type: number } {
  let i = 12;
  const labels: string[] = [];
  while (msg[i] !== 0) {
    const n = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + n).toString('ascii'));
    i += n + 1;
  }
  i += 1;
  const type = msg.readUInt16BE(i);
  return { question: msg.subarray(12, i + 4), name: labels.join('.'), type };
}

/** Starts the server; closed at the test's teardown. */
export async function dnsServer(t: Test, handler: (q: DnsQuery) => DnsReply): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const server: DnsServer = { address: '', queries: [] };
  socket.on('message', (msg, from) => {
    const id = msg.readUInt16BE(0);
    const { question, name, type } = readQuestion(msg);
    const q = { name, type };
    server.queries.push(q);
    const reply = handler(q);
    let out: Buffer;
    if ('drop' in reply) return;
    if ('raw' in reply) out = reply.raw(id, question);
    else if ('rcode' in reply) out = Buffer.concat([header(id, reply.rcode, 0), question]);
    else out = Buffer.concat([header(id, 0, reply.records.length), question, ...reply.records.map((r) => answerRr(naptrRdata(r)))]);
    socket.send(out, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  server.address = `127.0.0.1:${socket.address().port}`;
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return server;
}
