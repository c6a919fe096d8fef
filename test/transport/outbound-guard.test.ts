// The outbound-request guard (no SSRF through URLs clients choose). Non-loopback address forms are checked
// against the guard as a function, or through a resolver stub, and never connected to; every socket these
// tests open goes to loopback (127.0.0.1, 127.0.0.2, ::1), whatever the code under test does. The expected
// verdicts are the registries' (IANA special-purpose ranges), written here by hand.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { CallbackRoute } from '../../src/mm7/callback-route.js';
import { ConfigSchema, VaspSchema } from '../../src/ops/config.js';
import { HttpPostError, httpPost, type HttpPostOptions } from '../../src/transport/http-post.js';
import { Metrics } from '../../src/ops/metrics.js';
import { OutboundGuard, OutboundRefusal, type ResolvedAddress, type Resolver } from '../../src/transport/outbound-guard.js';

/** A resolver that must not be asked: a literal address or a refused URL needs no lookup. */
const noLookup: Resolver = async (host) => {
  throw new Error(`unexpected lookup of ${host}`);
};

/** The refusal of checkUrl as [kind, message], or 'ok'. */
function verdict(guard: OutboundGuard, url: string, prefixes?: string[]): 'ok' | [string, string] {
  try {
    guard.checkUrl(url, prefixes);
    return 'ok';
  } catch (err) {
    if (!(err instanceof OutboundRefusal)) throw err;
    return [err.kind, err.message];
  }
}

// URL -> the range it must be refused as, by default. Numeric host forms are normalised by the WHATWG URL
// parser (2130706433, 0x7f000001, 0177.0.0.1, 127.1, full-width digits, percent-encoding, a trailing dot).
const REFUSED: Array<[string, RegExp]> = [
  ['http://127.0.0.1/', /loopback/],
  ['http://127.1/', /loopback/],
  ['http://2130706433/', /loopback/],
  ['http://0x7f000001/', /loopback/],
  ['http://0177.0.0.1/', /loopback/],
  ['http://017700000001/', /loopback/],
  ['http://0x7f.1/', /loopback/],
  ['http://127.0.0.1./', /loopback/],
  ['http://%31%32%37.0.0.1/', /loopback/],
  ['http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/', /loopback/],
  ['http://127.255.255.254:6379/', /loopback/],
  ['http://0/', /this network/],
  ['http://0.0.0.0:9464/metrics', /this network/],
  ['http://10.0.0.1/', /private/],
  ['http://10.255.255.255/', /private/],
  ['http://172.16.0.1/', /private/],
  ['http://172.31.255.255/', /private/],
  ['http://192.168.1.1/', /private/],
  ['http://100.64.0.1/', /CGNAT/],
  ['http://100.127.255.255/', /CGNAT/],
  ['http://169.254.169.254/latest/meta-data/', /metadata/],
  ['http://2852039166/', /metadata/], // 169.254.169.254 as one number
  ['http://100.100.100.200/', /metadata/],
  ['http://168.63.129.16/', /WireServer/],
  ['http://169.254.1.1/', /link-local/],
  ['http://192.0.0.8/', /IETF protocol/],
  ['http://192.0.2.1/', /documentation/],
  ['http://198.51.100.7/', /documentation/],
  ['http://203.0.113.9/', /documentation/],
  ['http://198.18.0.1/', /benchmarking/],
  ['http://192.88.99.1/', /6to4 relay/],
  ['http://224.0.0.1/', /multicast/],
  ['http://239.255.255.250/', /multicast/],
  ['http://255.255.255.255/', /broadcast/],
  ['http://240.0.0.1/', /reserved/],
  // IPv6
  ['http://[::1]/', /loopback/],
  ['http://[0:0:0:0:0:0:0:1]/', /loopback/],
  ['http://[::]/', /unspecified/],
  ['http://[fe80::1]/', /link-local/],
  ['http://[febf:ffff::1]/', /link-local/],
  ['http://[fec0::1]/', /site-local/],
  ['http://[fc00::1]/', /unique local/],
  ['http://[fd12:3456:789a::1]/', /unique local/],
  ['http://[fd00:ec2::254]/', /metadata/],
  ['http://[ff02::1]/', /multicast/],
  ['http://[ff05::1:3]/', /multicast/],
  ['http://[::ffff:127.0.0.1]/', /IPv4-mapped: 127\.0\.0\.1 is loopback/],
  ['http://[::ffff:7f00:1]/', /IPv4-mapped: 127\.0\.0\.1 is loopback/],
  ['http://[0:0:0:0:0:ffff:7f00:1]/', /IPv4-mapped: 127\.0\.0\.1 is loopback/],
  ['http://[::ffff:10.0.0.1]/', /IPv4-mapped: 10\.0\.0\.1 is private/],
  ['http://[::ffff:a9fe:a9fe]/', /IPv4-mapped: 169\.254\.169\.254 is a cloud metadata/],
  ['http://[::127.0.0.1]/', /IPv4-compatible/],
  ['http://[::8.8.8.8]/', /IPv4-compatible/],
  ['http://[::ffff:0:7f00:1]/', /IPv4-translated/],
  ['http://[64:ff9b::127.0.0.1]/', /NAT64: 127\.0\.0\.1 is loopback/],
  ['http://[64:ff9b::a9fe:a9fe]/', /NAT64: 169\.254\.169\.254 is a cloud metadata/],
  ['http://[64:ff9b::c0a8:101]/', /NAT64: 192\.168\.1\.1 is private/],
  ['http://[64:ff9b:1::1]/', /local-use NAT64/],
  ['http://[2002:7f00:1::]/', /6to4: 127\.0\.0\.1 is loopback/],
  ['http://[2002:a00:1::1]/', /6to4: 10\.0\.0\.1 is private/],
  ['http://[2002:a9fe:a9fe::]/', /6to4: 169\.254\.169\.254 is a cloud metadata/],
  ['http://[2001::1]/', /IETF protocol/], // Teredo
  ['http://[2001:db8::1]/', /documentation/],
  ['http://[3fff::1]/', /documentation/],
  ['http://[100::1]/', /discard-only/],
  ['http://[4000::1]/', /not global unicast/],
  ['http://[1::1]/', /not global unicast/],
  // The special-use localhost domain is loopback whatever DNS says (RFC 6761 §6.3).
  ['http://localhost/', /loopback/],
  ['http://LOCALHOST./', /loopback/],
  ['http://callback.localhost:8080/', /loopback/],
];

// Public unicast, and the neighbours of refused ranges: allowed by default.
const ALLOWED = [
  'http://8.8.8.8/',
  'https://1.1.1.1:8443/events?x=1',
  'http://9.255.255.255/',
  'http://11.0.0.0/',
  'http://100.63.255.255/',
  'http://100.128.0.0/',
  'http://172.15.255.255/',
  'http://172.32.0.0/',
  'http://169.253.255.255/',
  'http://192.167.255.255/',
  'http://223.255.255.255/',
  'http://134744072/', // 8.8.8.8 as one number
  'http://[2606:4700:4700::1111]/',
  'http://[2a00:1450:4001:80b::200e]/',
  'http://[::ffff:8.8.8.8]/',
  'http://[64:ff9b::808:808]/',
  'http://[2002:808:808::1]/',
  'http://[2001:200::1]/', // just after 2001::/23
  'http://[3ffe::1]/',
  'https://cb.vasp.example/events', // a name: checked when resolved
];

t.test('by default, every non-public address form is refused and public unicast is not (checked as a function)', async (t) => {
  const guard = new OutboundGuard({ resolve: noLookup });
  for (const [url, what] of REFUSED) {
    const v = verdict(guard, url);
    t.equal(v === 'ok' ? 'ok' : v[0], 'address', `${url}: refused for its address`);
    t.match(v === 'ok' ? '' : v[1], what, `${url}: ${what.source}`);
  }
  for (const url of ALLOWED) t.equal(verdict(guard, url), 'ok', `${url}: allowed`);
});

t.test('refusal(address): the same table for addresses as a resolver answers them', async (t) => {
  const guard = new OutboundGuard({ resolve: noLookup });
  const table: Array<[string, RegExp | undefined]> = [
    ['127.0.0.1', /loopback/],
    ['0.0.0.0', /this network/],
    ['10.0.0.1', /private/],
    ['169.254.169.254', /metadata/],
    ['100.64.0.1', /CGNAT/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['::ffff:127.0.0.1', /IPv4-mapped/],
    ['::ffff:7f00:1', /IPv4-mapped/],
    ['fe80::1%eth0', /link-local/],
    ['fd00:ec2::254', /metadata/],
    ['64:ff9b::7f00:1', /NAT64/],
    ['2002:7f00:1::', /6to4/],
    ['127.1', /not an IP address/], // a resolver answers canonical forms only
    ['not-an-address', /not an IP address/],
    ['8.8.8.8', undefined],
    ['2606:4700:4700::1111', undefined],
    ['::ffff:8.8.8.8', undefined],
  ];
  for (const [address, what] of table) {
    const why = guard.refusal(address);
    if (what) t.match(why, what, `${address}: ${what.source}`);
    else t.equal(why, undefined, `${address}: allowed`);
  }
});

t.test('URL form, scheme and user info are refused before any address is looked at', async (t) => {
  const guard = new OutboundGuard({ resolve: noLookup });
  const table: Array<[string, string]> = [
    ['not a url', 'form'],
    ['/relative/path', 'form'],
    ['', 'form'],
    ['ftp://cb.vasp.example/x', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://cb.vasp.example:6379/_PING', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['data:,hello', 'scheme'],
    ['ws://cb.vasp.example/', 'scheme'],
    ['http://user@cb.vasp.example/', 'userinfo'],
    ['http://user:pw@cb.vasp.example/', 'userinfo'],
    ['http://:pw@cb.vasp.example/', 'userinfo'],
    ['http://vasp2.example@127.0.0.1:26199/', 'userinfo'],
  ];
  for (const [url, kind] of table) {
    const v = verdict(guard, url);
    t.equal(v === 'ok' ? 'ok' : v[0], kind, `${JSON.stringify(url)}: ${kind}`);
  }
});

t.test('callbackUrlPrefixes: parsed scheme, host and port, and the path by whole segments', async (t) => {
  const guard = new OutboundGuard({ resolve: noLookup });
  const prefixes = ['http://vasp2.example', 'https://cb.vasp2.example/events'];
  const table: Array<[string, 'ok' | string]> = [
    ['http://vasp2.example/', 'ok'],
    ['http://vasp2.example/any/path?q=1', 'ok'],
    ['http://VASP2.Example:80/x', 'ok'], // host case and the default port are the URL parser's to normalise
    ['https://cb.vasp2.example/events', 'ok'],
    ['https://cb.vasp2.example/events/', 'ok'],
    ['https://cb.vasp2.example/events/42?k=1', 'ok'],
    ['https://cb.vasp2.example:443/events/42', 'ok'],
    ['http://vasp2.example@127.0.0.1:26199/', 'userinfo'],
    ['http://vasp2.example.attacker.test/', 'prefix'],
    ['http://vasp2.example:8080/', 'prefix'],
    ['https://vasp2.example/', 'prefix'],
    ['http://evil.vasp2.example/', 'prefix'],
    ['https://cb.vasp2.example/eventsX', 'prefix'],
    ['https://cb.vasp2.example/events.json', 'prefix'],
    ['https://cb.vasp2.example/events/../admin', 'prefix'],
    ['https://cb.vasp2.example/events/%2e%2e/admin', 'prefix'],
    ['https://cb.vasp2.example/', 'prefix'],
    ['http://cb.vasp2.example/events', 'prefix'],
  ];
  for (const [url, expected] of table) {
    const v = verdict(guard, url, prefixes);
    t.equal(v === 'ok' ? 'ok' : v[0], expected, `${url}: ${expected}`);
  }
  // A prefix does not open a forbidden address: that is outbound.allow's.
  t.match(verdict(guard, 'http://10.1.2.3/cb', ['http://10.1.2.3/']), ['address', /private/], 'a prefix naming a private address');
});

t.test('outbound.allow opens ranges; a metadata service only by its own address', async (t) => {
  const guard = new OutboundGuard({ allow: ['127.0.0.0/8', '::1/128', '10.1.0.0/16', '169.254.0.0/16', 'fd00::/8'], resolve: noLookup });
  const table: Array<[string, 'ok' | RegExp]> = [
    ['http://127.0.0.1:8080/', 'ok'],
    ['http://2130706433/', 'ok'],
    ['http://127.0.0.2/', 'ok'],
    ['http://[::1]/', 'ok'],
    ['http://[::ffff:127.0.0.1]/', 'ok'], // mapped: allowed as the IPv4 address it is
    ['http://localhost/', 'ok'],
    ['http://10.1.2.3/', 'ok'],
    ['http://10.2.0.1/', /private/],
    ['http://169.254.1.1/', 'ok'],
    ['http://169.254.169.254/', /metadata/],
    ['http://[::ffff:169.254.169.254]/', /metadata/],
    ['http://[fd12::1]/', 'ok'],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://192.168.1.1/', /private/],
  ];
  for (const [url, expected] of table) {
    const v = verdict(guard, url);
    if (expected === 'ok') t.equal(v, 'ok', `${url}: allowed`);
    else t.match(v, ['address', expected], `${url}: still refused`);
  }
  const metadata = new OutboundGuard({ allow: ['169.254.169.254/32', 'fd00:ec2::254'], resolve: noLookup });
  t.equal(verdict(metadata, 'http://169.254.169.254/'), 'ok', 'named as a /32, the metadata service is allowed');
  t.equal(verdict(metadata, 'http://[fd00:ec2::254]/'), 'ok', 'named as a single address, the IPv6 one too');
  t.match(verdict(metadata, 'http://169.254.1.1/'), ['address', /link-local/], 'and nothing else of link-local');

  const mapped = new OutboundGuard({ allow: ['::ffff:10.9.0.0/112'], resolve: noLookup });
  t.equal(verdict(mapped, 'http://10.9.1.2/'), 'ok', 'an IPv4-mapped allow range is the IPv4 range');

  // All of IPv6 allowed: an address that carries an IPv4 one still reaches that one, which must pass too.
  const allV6 = new OutboundGuard({ allow: ['::/0'], resolve: noLookup });
  t.equal(verdict(allV6, 'http://[fd12::1]/'), 'ok', '::/0 opens IPv6 unique-local');
  t.match(
    verdict(allV6, 'http://[64:ff9b::a9fe:a9fe]/'),
    ['address', /NAT64.*metadata/],
    '::/0 does not open the metadata service through NAT64',
  );
  t.match(verdict(allV6, 'http://[2002:a00:1::1]/'), ['address', /6to4.*private/], 'nor 10.0.0.1 through 6to4');
  t.match(verdict(allV6, 'http://[::ffff:10.0.0.1]/'), ['address', /IPv4-mapped.*private/], 'nor through an IPv4-mapped address');
  t.equal(verdict(allV6, 'http://[64:ff9b::808:808]/'), 'ok', 'NAT64 to a public IPv4 address: allowed');
  for (const bad of ['10.1.2.3/24', '10.0.0.0/33', 'nonsense', '10.0.0.0/8/8', 'fe80::1%eth0/128', '::1/129', '10.0.0.0/x']) {
    t.throws(() => new OutboundGuard({ allow: [bad] }), /outbound allow range/, `allow ${bad} is refused`);
  }
});

// Every name these tests resolve is `localhost`, the one name a system resolves without asking DNS (from
// /etc/hosts): a guard that bypassed the stub resolver would still send no packet off this host. The stub
// answers whatever the case needs; localhost passes the pre-resolution check once 127.0.0.1 is allowed.

/** A resolver stub for `localhost` answering `answer` (an error when it is one), and counting its calls. */
function stub(answer: ResolvedAddress[] | Error): { resolve: Resolver; asked: string[]; answer: ResolvedAddress[] | Error } {
  const s = {
    asked: [] as string[],
    answer,
    resolve: async (host: string) => {
      s.asked.push(host);
      if (s.answer instanceof Error) throw s.answer;
      return s.answer;
    },
  };
  return s;
}

t.test('pin: a name is resolved once, every answer checked, and the lookup answers only those', async (t) => {
  const publicAnswers: ResolvedAddress[] = [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ];
  const dns = stub(publicAnswers);
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: dns.resolve });
  const pinned = await guard.pin('https://localhost/cb');
  t.strictSame(pinned.addresses, publicAnswers, 'every answer pinned');
  const lookup = (name: string, options: { all?: boolean; family?: number }) =>
    new Promise<unknown>((resolve) =>
      pinned.lookup(name, options, (err, address, family) => resolve(err ? err.message : options.all ? address : [address, family])),
    );
  t.strictSame(await lookup('localhost', { all: true }), publicAnswers, 'the lookup answers the pinned addresses (all)');
  t.strictSame(await lookup('localhost', {}), ['93.184.215.14', 4], 'the first one');
  t.strictSame(await lookup('localhost', { family: 6 }), ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', 6], 'by family');
  t.match(await lookup('other.example', {}), /asked for other\.example/, 'and nothing for another name');
  t.strictSame(dns.asked, ['localhost'], 'one resolution; the lookup did not resolve again');

  const refused: Array<[ResolvedAddress[], RegExp, string]> = [
    [
      [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
      /localhost resolves to 10\.0\.0\.1 is private/,
      'one forbidden answer refuses the name',
    ],
    [
      [{ address: '::ffff:169.254.169.254', family: 6 }],
      /IPv4-mapped: 169\.254\.169\.254 is a cloud metadata/,
      'a mapped answer is judged as IPv4',
    ],
    [[{ address: '127.0.0.2', family: 4 }], /127\.0\.0\.2 is loopback/, 'a loopback answer outside the allowed /32'],
    [[{ address: 'fe80::1', family: 6 }], /link-local/, 'a link-local answer'],
    [[{ address: '64:ff9b::a00:1', family: 6 }], /NAT64: 10\.0\.0\.1 is private/, 'a NAT64 answer carrying a private address'],
  ];
  for (const [answer, why, what] of refused) {
    dns.answer = answer;
    await t.rejects(guard.pin('http://localhost/'), { name: 'OutboundRefusal', kind: 'address', message: why }, what);
  }
  dns.answer = Object.assign(new Error('getaddrinfo ENOTFOUND localhost'), { code: 'ENOTFOUND' });
  await t.rejects(
    guard.pin('http://localhost/'),
    { code: 'ENOTFOUND' },
    'a name that does not resolve: the lookup error (transient), not a refusal',
  );
  dns.answer = [];
  await t.rejects(guard.pin('http://localhost/'), { code: 'ENOTFOUND' }, 'no answer at all: the same');

  dns.asked.length = 0;
  await t.rejects(guard.pin('http://10.0.0.1/'), { kind: 'address', message: /private/ }, 'a literal address');
  const literal = await guard.pin('http://[2606:4700:4700::1111]:8080/');
  t.strictSame(literal.addresses, [{ address: '2606:4700:4700::1111', family: 6 }], 'a literal address is its own pin');
  t.strictSame(dns.asked, [], 'literal addresses are not looked up');
  await t.rejects(
    new OutboundGuard({ resolve: dns.resolve }).pin('http://localhost/'),
    { kind: 'address', message: /loopback/ },
    'by default localhost is refused before any lookup',
  );
  t.strictSame(dns.asked, []);
});

interface Peer {
  server: Server;
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; host: string; local: string; body: string }>;
}

/** An HTTP server on one loopback address; `handle` answers (default 200). */
async function peer(
  t: Test,
  host: string,
  port = 0,
  handle?: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Peer> {
  const p: Peer = { server: undefined as unknown as Server, port: 0, connections: 0, requests: [] };
  p.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      p.requests.push({ method: req.method!, url: req.url!, host: req.headers.host ?? '', local: req.socket.localAddress ?? '', body });
      if (handle) handle(req, res, body);
      else res.writeHead(200).end('ok');
    });
  });
  p.server.on('connection', () => p.connections++);
  p.server.listen(port, host);
  await once(p.server, 'listening');
  p.port = (p.server.address() as AddressInfo).port;
  t.teardown(() => new Promise<void>((r) => p.server.close(() => r())));
  return p;
}

const POST: HttpPostOptions = { timeoutMs: 5000, maxAnswerBytes: 4096 };
const body = Buffer.from('{"event":"x"}');

t.test('DNS rebinding: the name is resolved once and the connection goes to the address that was checked', async (t) => {
  // The real server on 127.0.0.1; a trap on 127.0.0.2, same port: a second resolution would lead there.
  const real = await peer(t, '127.0.0.1');
  const trap = await peer(t, '127.0.0.2', real.port);
  let calls = 0;
  const rebinding: Resolver = async () => [{ address: ++calls === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: rebinding });
  const answer = await httpPost(`http://localhost:${real.port}/cb`, {}, body, { ...POST, guard });
  t.equal(answer.status, 200);
  t.equal(calls, 1, 'one resolution');
  t.equal(real.requests.length, 1, 'the request reached 127.0.0.1');
  t.equal(real.requests[0]!.local, '127.0.0.1');
  t.equal(real.requests[0]!.host, `localhost:${real.port}`, 'under its name (Host)');
  t.equal(trap.connections, 0, 'nothing connected to 127.0.0.2');

  // The next request resolves again, is answered 127.0.0.2 (not allowed): refused, never connected.
  await t.rejects(httpPost(`http://localhost:${real.port}/cb`, {}, body, { ...POST, guard }), {
    name: 'HttpPostError',
    code: 'REFUSED',
    message: /127\.0\.0\.2 is loopback/,
  });
  t.equal(calls, 2);
  t.equal(trap.connections, 0, 'the rebound answer was not connected to');
  t.equal(real.requests.length, 1);
});

t.test('a keep-alive socket opened for one answer is not reused for another', async (t) => {
  const real = await peer(t, '127.0.0.1');
  const other = await peer(t, '127.0.0.2', real.port);
  let calls = 0;
  const guard = new OutboundGuard({
    allow: ['127.0.0.0/8'],
    resolve: async () => [{ address: ++calls === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }],
  });
  t.equal((await httpPost(`http://localhost:${real.port}/a`, {}, body, { ...POST, guard })).status, 200);
  t.equal((await httpPost(`http://localhost:${real.port}/b`, {}, body, { ...POST, guard })).status, 200);
  t.strictSame(
    real.requests.map((r) => r.url),
    ['/a'],
    'the first answer got the first request',
  );
  t.strictSame(
    other.requests.map((r) => r.url),
    ['/b'],
    'the second answer the second, over its own connection',
  );
});

t.test('redirects: 307/308 followed within the hop limit, each checked and pinned like the first', async (t) => {
  let trapPort = 0;
  const hosts: string[] = [];
  const real = await peer(t, '127.0.0.1', 0, (req, res) => {
    const to: Record<string, string> = {
      '/cb/307': '/cb/final',
      '/cb/308': `http://localhost:${(req.socket.address() as AddressInfo).port}/cb/final`,
      '/cb/trap': `http://127.0.0.2:${trapPort}/cb/x`,
      '/cb/trap-mapped': `http://[::ffff:127.0.0.2]:${trapPort}/cb/x`,
      '/cb/trap-name': `http://localhost:${trapPort}/cb/x`,
      '/cb/outside': '/other',
      '/cb/loop': '/cb/loop',
      '/cb/302': '/cb/final',
    };
    const status = req.url === '/cb/308' ? 308 : req.url === '/cb/302' ? 302 : 307;
    if (req.url && to[req.url]) res.writeHead(status, { location: to[req.url] }).end();
    else res.writeHead(200).end('final');
  });
  const trap = await peer(t, '127.0.0.2', real.port);
  trapPort = trap.port;
  let answer = '127.0.0.1';
  const guard = new OutboundGuard({
    allow: ['127.0.0.1/32'],
    resolve: async (host) => {
      hosts.push(host);
      return [{ address: answer, family: 4 }];
    },
  });
  const o: HttpPostOptions = { ...POST, guard, maxRedirects: 3 };
  const base = `http://127.0.0.1:${real.port}`;

  let a = await httpPost(`${base}/cb/307`, { 'content-type': 'application/json' }, body, o);
  t.equal(a.status, 200, '307 followed');
  t.match(real.requests.at(-1), { method: 'POST', url: '/cb/final', body: '{"event":"x"}' }, 'with the same method and body');
  a = await httpPost(`${base}/cb/308`, {}, body, o);
  t.equal(a.status, 200, '308 to a name followed');
  t.strictSame(hosts, ['localhost'], 'the redirect target resolved (once) and checked');

  answer = '127.0.0.2'; // what localhost resolves to from now on
  for (const path of ['/cb/trap', '/cb/trap-mapped', '/cb/trap-name']) {
    await t.rejects(
      httpPost(`${base}${path}`, {}, body, o),
      { code: 'REFUSED', message: /^redirect to .* refused: .*127\.0\.0\.2/ },
      `${path}: a redirect to a forbidden address is refused`,
    );
  }
  t.equal(trap.connections, 0, 'nothing ever connected to the forbidden address');

  await t.rejects(
    httpPost(`${base}/cb/outside`, {}, body, { ...o, prefixes: [`${base}/cb`] }),
    { code: 'REFUSED', message: /not under an allowed prefix/ },
    'a redirect out of the prefixes is refused',
  );

  const before = real.requests.length;
  a = await httpPost(`${base}/cb/loop`, {}, body, o);
  t.equal(a.status, 307, 'past the hop limit the 307 is the answer');
  t.equal(real.requests.length - before, 4, 'the first request and 3 redirects');
  a = await httpPost(`${base}/cb/302`, {}, body, o);
  t.equal(a.status, 302, 'a 302 is not followed (it would turn a POST into a GET)');
  a = await httpPost(`${base}/cb/307`, {}, body, { ...POST, guard });
  t.equal(a.status, 307, 'no redirects unless asked for');
});

t.test('a guarded URL with user info is refused, not turned into credentials', async (t) => {
  const real = await peer(t, '127.0.0.1');
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: noLookup });
  await t.rejects(httpPost(`http://vasp2.example@127.0.0.1:${real.port}/`, {}, body, { ...POST, guard }), {
    code: 'REFUSED',
    message: /user info/,
  });
  t.equal(real.connections, 0);
});

/** A delivery report of a REST submission, as the report generator makes it. */
function report(callbackUrl: string): CoreMessage {
  const now = Date.now();
  return {
    id: `r-${now}`,
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: [{ address: 'vasp', type: 'other', kind: 'to' }],
    contentType: 'text/plain',
    parts: [],
    expiresAt: now + 60_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm1', peer: 'reports' },
    report: {
      kind: 'delivery',
      messageId: 'm-1',
      recipientIndex: 0,
      to: { iface: 'rest', peer: 'acme', callbackUrl },
      status: 'delivered',
      at: now,
    },
    receivedAt: now,
  };
}

t.test(
  'CallbackRoute: a name that resolves to a forbidden address at delivery is a permanent refusal, logged, never connected to',
  async (t) => {
    const real = await peer(t, '127.0.0.1');
    const trap = await peer(t, '127.0.0.2', real.port);
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    const metrics = new Metrics();
    let answer = '127.0.0.2';
    const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: async () => [{ address: answer, family: 4 }] });
    const vasp = VaspSchema.parse({ id: 'acme', username: 'acme', password: 'pw', senders: ['12345'] });
    const route = new CallbackRoute(vasp, { config: ConfigSchema.parse({}).mm7, metrics, log, guard });
    const delivery = (url: string) => ({ message: report(url), recipientIndex: 0, attempt: 1, content: async () => [] });

    // localhost passes at submission (127.0.0.1 is allowed); at delivery it answers 127.0.0.2.
    t.equal(verdict(guard, `http://localhost:${real.port}/cb`), 'ok');
    const refused = await route.send(delivery(`http://localhost:${real.port}/cb`));
    t.match(
      refused,
      { status: 'rejected', detail: /callback URL refused: localhost resolves to 127\.0\.0\.2 is loopback/ },
      'rejected (permanent), with the reason',
    );
    t.equal(trap.connections, 0, 'never connected');
    t.match(
      lines.find((l) => l.msg === 'callback URL refused by the outbound guard'),
      { level: 40, vasp: 'acme', messageId: 'm-1', detail: /127\.0\.0\.2/ },
      'a warning says why',
    );
    t.match(await metrics.registry.metrics(), /mmsc_mm7_outbound_requests_total\{operation="callback",status="refused",service="mmsc"\} 1/);

    answer = '127.0.0.1';
    t.match(
      await route.send(delivery(`http://localhost:${real.port}/cb`)),
      { status: 'delivered' },
      'the same URL while it resolves to an allowed address',
    );
    t.equal(real.requests[0]?.local, '127.0.0.1');
    t.match(JSON.parse(real.requests[0]!.body), { type: 'delivered', messageId: 'm-1', recipient: '+15550000001' });
    t.match(
      await route.send(delivery(`http://127.0.0.2:${real.port}/cb`)),
      { status: 'rejected', detail: /127\.0\.0\.2 is loopback/ },
      'a literal refused at delivery too',
    );
    t.equal(trap.connections, 0);
  },
);

t.test('CallbackRoute: the account prefixes hold at delivery too (config may have changed since the submission)', async (t) => {
  const real = await peer(t, '127.0.0.1');
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: noLookup });
  const vasp = VaspSchema.parse({
    id: 'acme',
    username: 'acme',
    password: 'pw',
    senders: ['12345'],
    callbackUrlPrefixes: [`http://127.0.0.1:${real.port}/events`],
  });
  const route = new CallbackRoute(vasp, {
    config: ConfigSchema.parse({}).mm7,
    metrics: new Metrics(),
    log: pino({ level: 'silent' }),
    guard,
  });
  const send = (url: string) => route.send({ message: report(url), recipientIndex: 0, attempt: 1, content: async () => [] });
  t.match(await send(`http://127.0.0.1:${real.port}/events/1`), { status: 'delivered' });
  t.match(await send(`http://127.0.0.1:${real.port}/eventsX`), { status: 'rejected', detail: /not under an allowed prefix/ });
  t.strictSame(
    real.requests.map((r) => r.url),
    ['/events/1'],
  );
});

t.test('HttpPostError codes: a lookup that fails is transient (TRANSPORT), a refusal permanent (REFUSED)', async (t) => {
  const closed = await peer(t, '127.0.0.1'); // a port of ours: a lookup that went around the stub ends here
  const failing = stub(Object.assign(new Error('getaddrinfo EAI_AGAIN localhost'), { code: 'EAI_AGAIN' }));
  const guard = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: failing.resolve });
  const err = await httpPost(`http://localhost:${closed.port}/x`, {}, body, { ...POST, guard }).catch((e: unknown) => e);
  t.ok(err instanceof HttpPostError);
  t.match(err, { code: 'TRANSPORT', message: /localhost not resolved: getaddrinfo EAI_AGAIN/ });
  const slow = new OutboundGuard({ allow: ['127.0.0.1/32'], resolve: () => new Promise<ResolvedAddress[]>(() => undefined) });
  await t.rejects(
    httpPost(`http://localhost:${closed.port}/x`, {}, body, { ...POST, timeoutMs: 50, guard: slow }),
    { code: 'TIMEOUT' },
    'the deadline covers the lookup',
  );
  t.equal(closed.connections, 0);
});

t.test('config: outbound.allow and callbackUrlPrefixes are validated at start, naming the key', async (t) => {
  const { loadConfig } = await import('../../src/ops/config.js');
  t.strictSame(loadConfig({ env: {} }).outbound, { allow: [] }, 'default: nothing allowed beyond public unicast');
  t.strictSame(
    loadConfig({ env: { MMSC_OUTBOUND_ALLOW: '127.0.0.0/8, ::1/128' } }).outbound.allow,
    ['127.0.0.0/8', '::1/128'],
    'a comma-separated list in the environment',
  );
  const dir = t.testdir({ 'c.json': JSON.stringify({ outbound: { allow: ['10.0.0.0/8', '10.1.2.3/24'] } }) });
  t.throws(() => loadConfig({ file: `${dir}/c.json`, env: {} }), {
    name: 'ConfigError',
    message: /outbound\.allow\.1: "10\.1\.2\.3\/24" has host bits set \(did you mean 10\.1\.2\.0\/24\?\)/,
  });
  t.throws(() => loadConfig({ env: { MMSC_OUTBOUND_ALLOW: 'localhost' } }), {
    name: 'ConfigError',
    message: /outbound\.allow\.0: "localhost" is not an IPv4 or IPv6 address or CIDR range/,
  });
  const vasps = (prefix: string) =>
    JSON.stringify([{ id: 'a', username: 'a', password: 'p', senders: ['12345'], callbackUrlPrefixes: [prefix] }]);
  for (const bad of [
    'http://user@vasp.example/',
    'http://vasp.example/?k=1',
    'http://vasp.example/#x',
    'ftp://vasp.example/',
    'not a url',
  ]) {
    t.throws(
      () => loadConfig({ env: { MMSC_MM7_VASPS: vasps(bad) } }),
      { message: /mm7\.vasps\.0\.callbackUrlPrefixes\.0: an http\(s\) URL without user info, query or fragment/ },
      `prefix ${bad}`,
    );
  }
});

t.test('a callbackUrlPrefixes entry at a refused address is warned about at start', async (t) => {
  const { vaspRoutes } = await import('../../src/mm7/routes.js');
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const vasps = [
    {
      id: 'inside',
      username: 'i',
      password: 'p',
      senders: ['12345'],
      callbackUrlPrefixes: ['http://10.1.2.3/cb', 'https://cb.vasp.example/'],
    },
  ];
  const config = ConfigSchema.parse({ mm7: { vasps } }).mm7;
  vaspRoutes({ config, metrics: new Metrics(), log, guard: new OutboundGuard({ resolve: noLookup }) });
  // (The account's unsigned webhooks are warned about too: key webhookSecrets, another concern.)
  const warned = lines.filter((l) => l.level === 40 && l.key === 'callbackUrlPrefixes');
  t.equal(warned.length, 1, 'one warning: the public prefix is fine');
  t.match(warned[0], { vasp: 'inside', prefix: 'http://10.1.2.3/cb', detail: /private/, msg: /outbound\.allow/ });
  lines.length = 0;
  vaspRoutes({
    config,
    metrics: new Metrics(),
    log,
    guard: new OutboundGuard({ allow: ['10.1.2.0/24'], resolve: noLookup }),
  });
  t.equal(lines.filter((l) => l.level === 40 && l.key === 'callbackUrlPrefixes').length, 0, 'none once outbound.allow opens it');
});
