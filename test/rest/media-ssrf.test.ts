// Media URLs and server-side request forgery: with a guard that does NOT allow loopback, every loopback form
// is refused end to end (a real media server listens on loopback, so a broken guard would fetch from it); a
// name the test's resolver maps to a private address is refused, and so is a redirect from an allowed server
// to a refused address. A tripwire makes sure no socket connects off loopback even if the code were broken.
// Non-loopback addresses are otherwise checked against the guard as a function only.
import t from 'tap';
import { MediaUnavailableError } from '../../src/rest/media/types.js';
import { OutboundGuard } from '../../src/transport/outbound-guard.js';
import { account, mediaHost, mediaServer, png, serve, tripwire } from './media-fixtures.js';

const ACME = account('acme');
const BUDGET = 1024 * 1024;

async function failure(p: Promise<unknown>): Promise<MediaUnavailableError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MediaUnavailableError) return err;
    throw err;
  }
  throw new Error('resolved: expected a refusal');
}

t.test('loopback forms are refused end to end when the guard does not allow loopback', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/p.png', serve(png(), 'image/png'));
  const p = srv.port;
  const { host, metrics } = mediaHost({ allow: [] });
  const forms = [
    `http://127.0.0.1:${p}/p.png`,
    `http://127.1:${p}/p.png`,
    `http://2130706433:${p}/p.png`,
    `http://0x7f000001:${p}/p.png`,
    `http://0177.0.0.1:${p}/p.png`,
    `http://[::1]:${p}/p.png`,
    `http://[::ffff:127.0.0.1]:${p}/p.png`,
    `http://localhost:${p}/p.png`,
    `http://media.localhost:${p}/p.png`,
  ];
  for (const url of forms) {
    const err = await failure(host.resolve(ACME, [{ source: url }], BUDGET));
    t.equal(err.reason, 'refused-address', `${url}: ${err.message}`);
    t.equal(err.url, url, 'the error names the URL as given');
  }
  t.strictSame(srv.seen, [], 'the server was never reached');
  const m = await metrics.mediaFetches.get();
  t.equal(m.values.find((v) => v.labels.outcome === 'refused-address')?.value, forms.length, 'each counted');
  // The same server, allowed: the URLs were refused for their address, not for anything else.
  const { host: open } = mediaHost({ allow: ['127.0.0.0/8'] });
  t.equal((await open.resolve(ACME, [{ source: `http://127.1:${p}/p.png` }], BUDGET)).length, 1, 'allowed, it is fetched');
});

t.test('a name the resolver maps to a private address is refused, without a connection', async (t) => {
  const wire = tripwire(t);
  const resolve = async (name: string) => {
    if (name === 'cdn.attacker.test') return [{ address: '10.0.0.1', family: 4 as const }];
    if (name === 'mixed.attacker.test')
      return [
        { address: '93.184.216.34', family: 4 as const },
        { address: '169.254.169.254', family: 4 as const },
      ];
    if (name === 'v6.attacker.test') return [{ address: 'fd00::1', family: 6 as const }];
    throw Object.assign(new Error(`${name} not found`), { code: 'ENOTFOUND' });
  };
  const { host } = mediaHost({ allow: [], resolve });
  for (const name of ['cdn.attacker.test', 'mixed.attacker.test', 'v6.attacker.test']) {
    const err = await failure(host.resolve(ACME, [{ source: `http://${name}/p.png` }], BUDGET));
    t.equal(err.reason, 'refused-address', `${name}: ${err.message}`);
  }
  const literal = await failure(host.resolve(ACME, [{ source: 'http://10.0.0.1/p.png' }], BUDGET));
  t.equal(literal.reason, 'refused-address', 'a private literal');
  const meta = await failure(host.resolve(ACME, [{ source: 'http://169.254.169.254/latest/meta-data/' }], BUDGET));
  t.equal(meta.reason, 'refused-address', 'the metadata service');
  const nx = await failure(host.resolve(ACME, [{ source: 'http://nowhere.attacker.test/p.png' }], BUDGET));
  t.equal(nx.reason, 'unreachable', 'a name that does not resolve');
  t.strictSame(wire.blocked, [], 'nothing even tried to connect off loopback');
});

t.test('a redirect from the allowed loopback server to a refused address is refused', async (t) => {
  const wire = tripwire(t);
  const srv = await mediaServer(t);
  const resolve = async (name: string) => {
    if (name === 'internal.attacker.test') return [{ address: '10.0.0.1', family: 4 as const }];
    return [{ address: '127.0.0.1', family: 4 as const }];
  };
  srv.route('/to-private', (_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/secret.png', 'content-length': '0' }).end());
  srv.route('/to-name', (_req, res) =>
    res.writeHead(302, { location: 'http://internal.attacker.test/secret.png', 'content-length': '0' }).end(),
  );
  srv.route('/to-metadata', (_req, res) =>
    res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/', 'content-length': '0' }).end(),
  );
  srv.route('/to-loopback', (_req, res) => res.writeHead(301, { location: `http://[::1]:${srv.port}/p.png`, 'content-length': '0' }).end());
  srv.route('/p.png', serve(png(), 'image/png'));
  // Only this one server's address is allowed: ::1 (the same host by another address) is not.
  const { host } = mediaHost({ allow: ['127.0.0.1/32'], resolve });
  for (const path of ['/to-private', '/to-name', '/to-metadata', '/to-loopback']) {
    const err = await failure(host.resolve(ACME, [{ source: `${srv.base}${path}` }], BUDGET));
    t.equal(err.reason, 'refused-address', `${path}: ${err.message}`);
    t.match(err.message, /redirect to .* refused/, 'says it was the redirect');
  }
  t.notOk(
    srv.seen.some((s) => s.endsWith('/p.png')),
    'the server was not reached again through ::1',
  );
  t.strictSame(wire.blocked, [], 'nothing even tried to connect off loopback');
});

t.test("an account's mediaUrlAllow opens its ranges for its own fetches only", async (t) => {
  const srv = await mediaServer(t);
  srv.route('/p.png', serve(png(), 'image/png'));
  const { host } = mediaHost({ allow: [] });
  const trusted = account('trusted', { mediaUrlAllow: ['127.0.0.0/8'] });
  const [got] = await host.resolve(trusted, [{ source: `${srv.base}/p.png` }], BUDGET);
  t.equal(got!.contentType, 'image/png', 'the account with the range fetches');
  const err = await failure(host.resolve(ACME, [{ source: `${srv.base}/p.png` }], BUDGET));
  t.equal(err.reason, 'refused-address', 'another account does not, nor gets the first one cached copy');
});

t.test('the guard as a function: account ranges and the metadata rule (no connection)', async (t) => {
  const base = new OutboundGuard({ allow: ['192.168.0.0/16'] });
  t.equal(base.withAllow([]), base, 'no ranges: the same guard');
  const wide = base.withAllow(['10.0.0.0/8', '169.254.0.0/16']);
  t.equal(wide.refusal('10.1.2.3'), undefined, 'an account range');
  t.equal(wide.refusal('192.168.1.1'), undefined, 'outbound.allow still');
  t.match(wide.refusal('169.254.169.254'), /metadata/, 'a wider range does not open the metadata service');
  t.match(wide.refusal('172.16.0.1'), /private/, 'other private ranges stay refused');
  t.match(base.refusal('10.1.2.3'), /private/, 'the base guard is not changed');
  t.equal(base.withAllow(['169.254.169.254/32']).refusal('169.254.169.254'), undefined, 'its own /32 does');
  for (const a of ['100.64.0.1', 'fe80::1', 'fc00::1', '0.0.0.0', '224.0.0.1', '127.0.0.1', '::1', '64:ff9b::7f00:1'])
    t.ok(wide.refusal(a) !== undefined, `${a} stays refused`);
  t.equal(wide.refusal('::ffff:10.0.0.1'), undefined, 'a mapped address is its IPv4 one: allowed with 10.0.0.0/8');
  t.match(base.refusal('::ffff:10.0.0.1'), /private/, 'mapped private');
});
