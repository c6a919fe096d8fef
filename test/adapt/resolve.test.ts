// The capability resolver (src/adapt/resolve.ts): issue 25's order, field by field (UAProf -> User-Agent class
// -> default), bounded by the route caps (content.routes by peer and longest prefix, an MM4 peer's own size).
import { Registry } from 'prom-client';
import t from 'tap';
import type { UaProfile } from '../../protocols/uaprof/model.js';
import { capabilityClass, type HandsetHint, type HandsetMemory, type ProfileSource } from '../../src/adapt/capabilities.js';
import { DefaultCapabilityResolver, mm4PeerCaps } from '../../src/adapt/resolve.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { ContentMetrics } from '../../src/ops/metrics-content.js';

const B = '+15550000002';
const PROFILE = 'http://profiles.example/phone.rdf';
const NO_MMS = 'http://profiles.example/browser-only.rdf';

function profile(p: Partial<UaProfile>): UaProfile {
  return { mmsCcppAccept: [], mmsCcppAcceptCharSet: [], mmsVersion: [], hasMms: true, ...p };
}

/** Profiles by URL, counting lookups. */
class Profiles implements ProfileSource {
  lookups: string[] = [];
  constructor(private readonly docs: Record<string, UaProfile>) {}
  async lookup(url: string): Promise<UaProfile | undefined> {
    this.lookups.push(url);
    return this.docs[url];
  }
}

class Memory implements HandsetMemory {
  readonly hints = new Map<string, HandsetHint>();
  async get(address: string) {
    return this.hints.get(address);
  }
  async remember(address: string, hint: HandsetHint) {
    this.hints.set(address, hint);
  }
}

function setup(content: Record<string, unknown> = {}, mm4Peers: unknown[] = []) {
  const config = ConfigSchema.parse({
    mm1: {
      publicUrl: 'http://mmsc.test',
      localPrefixes: ['+1555'],
      maxMessageBytes: 307_200,
      contentTypes: ['text/plain', 'application/smil', 'image/*'],
    },
    mm4: { peers: mm4Peers, domains: ['mms.ours.example'] },
    content: {
      userAgents: [
        { name: 'feature', match: 'Nokia[0-9]+', maxMessageBytes: 102_400, maxImageWidth: 176 },
        {
          name: 'smartphone',
          match: 'Android|iPhone',
          maxMessageBytes: 1_048_576,
          maxImageWidth: 1600,
          maxImageHeight: 1200,
          contentTypes: ['image/jpeg', 'text/plain', 'video/*'],
        },
        { name: 'never-reached', match: 'Android', maxMessageBytes: 5_000_000 },
      ],
      ...content,
    },
  });
  const registry = new Registry();
  const metrics = new ContentMetrics(registry);
  const profiles = new Profiles({
    [PROFILE]: profile({
      mmsMaxMessageSize: 614_400,
      mmsMaxImageResolution: { width: 1024, height: 768 },
      mmsCcppAccept: ['Image/JPEG', 'image/gif;q=0.5', 'audio/amr'],
      mmsCcppAcceptCharSet: ['UTF-8', 'US-ASCII'],
      mmsVersion: ['1.0', '1.2'],
    }),
    [NO_MMS]: profile({ hasMms: false, screenSize: { width: 240, height: 320 } }),
  });
  const memory = new Memory();
  const resolver = new DefaultCapabilityResolver({
    content: config.content,
    defaults: config.mm1,
    peerCaps: mm4PeerCaps(config.mm4.peers),
    profiles,
    memory,
    metrics,
  });
  const sources = async () =>
    Object.fromEntries(
      (await registry.getSingleMetric('mmsc_capability_sources_total')!.get()).values.map((v) => [v.labels.source, v.value]),
    );
  return { resolver, profiles, memory, sources };
}

const hint = (h: Partial<HandsetHint>): HandsetHint => ({ at: 1, ...h });

t.test('nothing known: the default handset (mm1.maxMessageBytes, content.maxImage*, mm1.contentTypes)', async (t) => {
  const { resolver, sources } = setup();
  t.strictSame(await resolver.resolve({ address: B }, 'mm1:notify'), {
    maxMessageBytes: 307_200,
    maxImageWidth: 640,
    maxImageHeight: 480,
    contentTypes: ['text/plain', 'application/smil', 'image/*'],
    source: 'default',
  });
  t.strictSame(await sources(), { default: 1 });
});

t.test('a User-Agent class: the first that matches, its unset fields from the default', async (t) => {
  const { resolver, sources } = setup();
  const feature = await resolver.resolve({ address: B }, 'mm1:notify', hint({ userAgent: 'Nokia6230/2.0 (05.43) Profile/MIDP-2.0' }));
  t.strictSame(feature, {
    maxMessageBytes: 102_400,
    maxImageWidth: 176,
    maxImageHeight: 480,
    contentTypes: ['text/plain', 'application/smil', 'image/*'],
    source: 'user-agent',
  });
  const smart = await resolver.resolve({ address: B }, 'mm1:notify', hint({ userAgent: 'Mozilla/5.0 (Linux; Android 14)' }));
  t.equal(smart.maxMessageBytes, 1_048_576, 'the first matching class, not the later one');
  t.strictSame([smart.maxImageWidth, smart.maxImageHeight, smart.contentTypes], [1600, 1200, ['image/jpeg', 'text/plain', 'video/*']]);
  const none = await resolver.resolve({ address: B }, 'mm1:notify', hint({ userAgent: 'SomethingElse/1.0' }));
  t.equal(none.source, 'default');
  t.strictSame(await sources(), { 'user-agent': 2, default: 1 });
});

t.test('a UAProf wins over the User-Agent; its fields, the mandatory text and SMIL added', async (t) => {
  const { resolver, profiles, sources } = setup();
  const c = await resolver.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: PROFILE, userAgent: 'Nokia6230/2.0' }));
  t.strictSame(c, {
    maxMessageBytes: 614_400,
    maxImageWidth: 1024,
    maxImageHeight: 768,
    contentTypes: ['image/jpeg', 'image/gif', 'audio/amr', 'text/plain', 'application/smil'],
    charsets: ['utf-8', 'us-ascii'],
    mmsVersions: ['1.0', '1.2'],
    source: 'uaprof',
  });
  t.strictSame(profiles.lookups, [PROFILE]);
  t.strictSame(await sources(), { uaprof: 1 });
});

t.test('fields a UAProf leaves unset come from the User-Agent class, then the default', async (t) => {
  const { resolver } = setup();
  const sparse = 'http://profiles.example/sparse.rdf';
  const screen = 'http://profiles.example/screen.rdf';
  const { profiles } = { profiles: (resolver as unknown as { o: { profiles: Profiles } }).o.profiles };
  Object.assign((profiles as unknown as { docs: Record<string, UaProfile> }).docs, {
    [sparse]: profile({ mmsVersion: ['1.1'] }),
    [screen]: profile({ mmsMaxMessageSize: 50_000, screenSize: { width: 128, height: 160 }, mmsCcppAccept: ['*/*'] }),
  });
  const a = await resolver.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: sparse, userAgent: 'Nokia3310' }));
  t.strictSame(
    [a.source, a.maxMessageBytes, a.maxImageWidth, a.maxImageHeight, a.contentTypes, a.mmsVersions],
    ['uaprof', 102_400, 176, 480, ['text/plain', 'application/smil', 'image/*'], ['1.1']],
  );
  const b = await resolver.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: screen }));
  t.strictSame(
    [b.maxMessageBytes, b.maxImageWidth, b.maxImageHeight, b.contentTypes],
    [50_000, 128, 160, ['text/plain', 'application/smil', 'image/*']],
    'ScreenSize bounds images when MmsMaxImageResolution is absent; */* leaves the default types',
  );
});

t.test('a UAProf without MMS: text-only', async (t) => {
  const { resolver } = setup();
  const c = await resolver.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: NO_MMS }));
  t.equal(c.textOnly, true);
  t.equal(c.source, 'uaprof');
  t.not(capabilityClass(c), capabilityClass({ ...c, textOnly: false }), 'a class of its own');
});

t.test('an unknown profile (not fetched yet, or failed): the User-Agent class decides', async (t) => {
  const { resolver, profiles } = setup();
  const c = await resolver.resolve(
    { address: B },
    'mm1:notify',
    hint({ profileUrl: 'http://profiles.example/slow.rdf', userAgent: 'iPhone' }),
  );
  t.equal(c.source, 'user-agent');
  t.equal(profiles.lookups.length, 1);
});

t.test('no hint given: the one remembered for the subscriber; a hint that says nothing leaves it too', async (t) => {
  const { resolver, memory } = setup();
  await memory.remember(B, hint({ profileUrl: PROFILE }));
  t.equal((await resolver.resolve({ address: B }, 'mm1:notify')).source, 'uaprof');
  t.equal((await resolver.resolve({ address: B }, 'mm1:notify', hint({}))).source, 'uaprof');
  t.equal(
    (await resolver.resolve({ address: B }, 'mm1:notify', hint({ userAgent: 'Nokia6230' }))).source,
    'user-agent',
    "the request's own hint wins over the remembered one",
  );
  t.equal((await resolver.resolve({ address: '+15550000009' }, 'mm1:notify')).source, 'default', 'another subscriber');
});

t.test('content.uaprof.fetch false: profiles are not looked up', async (t) => {
  const { resolver, profiles } = setup({ uaprof: { fetch: false } });
  const c = await resolver.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: PROFILE, userAgent: 'iPhone' }));
  t.equal(c.source, 'user-agent');
  t.strictSame(profiles.lookups, []);
});

t.test('a memory or profile source that throws: resolved without it', async (t) => {
  const broken = new DefaultCapabilityResolver({
    content: ConfigSchema.parse({ mm1: { publicUrl: 'http://m.test', localPrefixes: ['+1'] } }).content,
    defaults: { maxMessageBytes: 300_000, contentTypes: ['image/*'] },
    memory: { get: async () => Promise.reject(new Error('store down')), remember: async () => {} },
    profiles: { lookup: async () => Promise.reject(new Error('boom')) },
  });
  t.equal((await broken.resolve({ address: B }, 'mm1:notify')).source, 'default');
  t.equal((await broken.resolve({ address: B }, 'mm1:notify', hint({ profileUrl: PROFILE }))).source, 'default');
});

t.test('route caps bound the handset: by peer, by the longest prefix, an MM4 peer its own size', async (t) => {
  const { resolver, sources } = setup(
    {
      routes: [
        { prefix: '+44', maxMessageBytes: 1_000_000, maxImageWidth: 800 },
        { prefix: '4479', maxMessageBytes: 524_288 },
        { peer: 'tollfree', maxMessageBytes: 537_600, maxImageHeight: 300 },
        { peer: 'mm4:peer-a', prefix: '+4479', maxMessageBytes: 200_000 },
      ],
    },
    [
      { id: 'peer-a', domain: 'mms.a.example', prefixes: ['+4479'], out: { host: 'mms.a.example', maxMessageBytes: 400_000 } },
      { id: 'peer-b', domain: 'mms.b.example', prefixes: ['+4478'], out: { host: 'mms.b.example' } },
      { id: 'peer-c', domain: 'mms.c.example', allow: ['10.0.0.1'] },
    ],
  );
  const big = hint({ profileUrl: PROFILE }); // 614,400 bytes, 1024x768
  const uk = await resolver.resolve({ address: '+447900000001' }, 'smpp:tollfree', big);
  t.strictSame(
    [uk.maxMessageBytes, uk.maxImageWidth, uk.maxImageHeight, uk.routeCapped, uk.source],
    [524_288, 1024, 300, true, 'uaprof'],
    'the longest prefix (4479, written without +) and the peer cap (tollfree after smpp:); the shorter +44 not used',
  );
  const ukOther = await resolver.resolve({ address: '+447700000001' }, 'mm1:notify', big);
  t.strictSame([ukOther.maxMessageBytes, ukOther.maxImageWidth, ukOther.maxImageHeight], [614_400, 800, 768], '+44 only');
  const viaA = await resolver.resolve({ address: '+447900000001' }, 'mm4:peer-a', big);
  t.equal(viaA.maxMessageBytes, 200_000, 'the entry naming both peer and prefix');
  const viaB = await resolver.resolve({ address: '+447800000001' }, 'mm4:peer-b', hint({ userAgent: 'iPhone' }));
  t.strictSame([viaB.maxMessageBytes, viaB.routeCapped, viaB.maxImageWidth], [1_000_000, true, 800], "peer-b's default 1 MiB, then +44");
  t.strictSame([...mm4PeerCaps([{ id: 'x', out: { maxMessageBytes: 5 } } as never])], [['mm4:x', 5]], 'only peers we send to have a cap');
  const local = await resolver.resolve({ address: B }, 'mm1:notify');
  t.equal(local.routeCapped, undefined, 'a cap larger than the handset lowers nothing');
  const mail = await resolver.resolve({ address: 'someone@example.com' }, 'mm3:relay');
  t.strictSame([mail.maxMessageBytes, mail.routeCapped], [307_200, undefined], 'an e-mail address has no number prefix');
  t.strictSame(await sources(), { uaprof: 3, 'user-agent': 1, default: 2, route: 4 });
});

t.test('recipients of equal limits share a capability class whatever decided them', async (t) => {
  const { resolver } = setup({ userAgents: [{ name: 'like-default', match: 'Plain', maxMessageBytes: 307_200 }] });
  const a = await resolver.resolve({ address: B }, 'mm1:notify');
  const b = await resolver.resolve({ address: B }, 'mm1:notify', hint({ userAgent: 'Plain/1' }));
  t.not(a.source, b.source);
  t.equal(capabilityClass(a), capabilityClass(b));
});
