// UAProf URLs are chosen by handsets: the outbound guard refuses private, loopback and metadata addresses
// (literal, by name, and by redirect) and the refusal is cached like any failure. A tripwire makes sure no
// socket connects off loopback even if the code were broken; addresses off loopback are only ever names the
// test's resolver maps, never reached.
import t from 'tap';
import type { UaProfRecord } from '../../src/adapt/uaprof.js';
import { uaprofDoc } from '../protocols/uaprof-docs.js';
import { mediaServer, serve, tripwire } from '../rest/media-fixtures.js';
import { fetches, profiles } from './uaprof-fixtures.js';

const resolve = async (name: string) => {
  if (name === 'uaprof.attacker.test') return [{ address: '10.0.0.1', family: 4 as const }];
  if (name === 'meta.attacker.test') return [{ address: '169.254.169.254', family: 4 as const }];
  if (name === 'v6.attacker.test') return [{ address: 'fd00::1', family: 6 as const }];
  if (name === 'profiles.example') return [{ address: '127.0.0.1', family: 4 as const }];
  throw Object.assign(new Error(`${name} not found`), { code: 'ENOTFOUND' });
};

t.test('loopback refused when the guard does not allow it: the server is never reached', async (t) => {
  const srv = await mediaServer(t);
  srv.route('/p.xml', serve(Buffer.from(uaprofDoc({ size: '1000' })), 'text/xml'));
  const { profiles: p, metrics, store } = profiles({ allow: [] });
  const forms = [
    `http://127.0.0.1:${srv.port}/p.xml`,
    `http://2130706433:${srv.port}/p.xml`,
    `http://[::1]:${srv.port}/p.xml`,
    `http://localhost:${srv.port}/p.xml`,
  ];
  for (const url of forms) {
    t.equal(await p.lookup(url), undefined, url);
    await p.idle();
  }
  t.strictSame(srv.seen, [], 'never reached');
  // 2130706433 is 127.0.0.1 once the URL is normalised: the same key, answered by the cached refusal.
  t.strictSame(await fetches(metrics), { refused: forms.length - 1, cached: 1 });
  const rec = JSON.parse((await store.get('uaprof', `http://127.0.0.1:${srv.port}/p.xml`))!.meta) as UaProfRecord;
  t.equal(rec.ok ? 'ok' : rec.result, 'refused', 'the refusal is cached (failureTtlMs)');
});

t.test('private and metadata addresses, by literal and by name, refused without a connection', async (t) => {
  const wire = tripwire(t);
  const { profiles: p, metrics } = profiles({ allow: ['127.0.0.0/8'], resolve });
  const urls = [
    'http://uaprof.attacker.test/p.xml',
    'http://meta.attacker.test/latest/meta-data/',
    'http://v6.attacker.test/p.xml',
    'http://10.0.0.1/p.xml',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00::1]/p.xml',
  ];
  for (const url of urls) {
    t.equal(await p.lookup(url), undefined, url);
    await p.idle();
  }
  t.strictSame(await fetches(metrics), { refused: urls.length });
  t.strictSame(wire.blocked, [], 'nothing even tried to connect off loopback');
});

t.test('a redirect from an allowed server to a private address is refused', async (t) => {
  const wire = tripwire(t);
  const srv = await mediaServer(t);
  srv.route('/to-private', (_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/p.xml', 'content-length': '0' }).end());
  srv.route('/to-metadata', (_req, res) =>
    res.writeHead(301, { location: 'http://meta.attacker.test/latest/meta-data/', 'content-length': '0' }).end(),
  );
  srv.route('/ok.xml', serve(Buffer.from(uaprofDoc({ size: '4242' })), 'text/xml'));
  srv.route('/to-ok', (_req, res) =>
    res.writeHead(302, { location: `http://profiles.example:${srv.port}/ok.xml`, 'content-length': '0' }).end(),
  );
  const { profiles: p, metrics } = profiles({ allow: ['127.0.0.1/32'], resolve });
  for (const path of ['/to-private', '/to-metadata']) {
    t.equal(await p.lookup(`${srv.base}${path}`), undefined, path);
    await p.idle();
  }
  t.equal((await p.lookup(`${srv.base}/to-ok`))?.mmsMaxMessageSize, 4242, 'a redirect to an allowed name is followed');
  t.strictSame(await fetches(metrics), { refused: 2, ok: 1 });
  t.strictSame(wire.blocked, [], 'nothing even tried to connect off loopback');
});
