// Secrets other than VASP passwords: the ones the gateway sends (SMSC bind password, mm3 relay and mm4
// outbound AUTH passwords, mm1.tokenSecret) come inline, from {file} or from {env}; the one it checks (an
// mm4 peer's inbound AUTH password) may also be an scrypt hash.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { PeerDirectory } from '../../src/mm4/peers.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { hashSecret } from '../../src/ops/secret.js';

t.test('sent secrets from a file or the environment; their length rules still apply', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bind'), 'bindpw\n');
  writeFileSync(join(dir, 'token'), 'a-token-secret-of-enough-length');
  process.env.MMSC_TEST_RELAY_PW = 'relay-pw';
  process.env.MMSC_TEST_PEER_PW = 'peer-out-pw';
  t.teardown(() => {
    delete process.env.MMSC_TEST_RELAY_PW;
    delete process.env.MMSC_TEST_PEER_PW;
  });
  const c = ConfigSchema.parse({
    smpp: { smscs: [{ id: 's', host: '127.0.0.1', systemId: 'x', password: { file: join(dir, 'bind') } }] },
    mm3: { relayUser: 'u', relayPassword: { env: 'MMSC_TEST_RELAY_PW' } },
    mm1: { tokenSecret: { file: join(dir, 'token') } },
    mm4: {
      domains: ['mms.mnc001.mcc001.gprs'],
      peers: [
        {
          id: 'p',
          domain: 'mms.mnc002.mcc001.gprs',
          out: { host: '127.0.0.1', authUser: 'u', authPassword: { env: 'MMSC_TEST_PEER_PW' } },
        },
      ],
    },
  });
  t.equal(c.smpp.smscs[0]!.password, 'bindpw', 'SMSC password from a file, its newline dropped');
  t.equal(c.mm3.relayPassword, 'relay-pw');
  t.equal(c.mm1.tokenSecret, 'a-token-secret-of-enough-length');
  t.equal(c.mm4.peers[0]!.out?.authPassword, 'peer-out-pw');
  t.equal(
    ConfigSchema.parse({ smpp: { smscs: [{ id: 's', host: 'h', systemId: 'x', password: 'inline' }] } }).smpp.smscs[0]!.password,
    'inline',
  );

  writeFileSync(join(dir, 'long'), 'longer-than-eight');
  const long = ConfigSchema.safeParse({ smpp: { smscs: [{ id: 's', host: 'h', systemId: 'x', password: { file: join(dir, 'long') } }] } });
  t.match(long.error?.issues[0], { path: ['smpp', 'smscs', 0, 'password'] }, 'SMPP 3.4: 8 characters at most, from a file too');
  const short = ConfigSchema.safeParse({ mm1: { tokenSecret: { env: 'MMSC_TEST_RELAY_PW' } } });
  t.match(short.error?.issues[0], { path: ['mm1', 'tokenSecret'] }, 'tokenSecret: 16 characters at least');
  const unset = ConfigSchema.safeParse({ mm3: { relayUser: 'u', relayPassword: { env: 'MMSC_TEST_NOT_SET' } } });
  t.match(unset.error?.issues[0], { path: ['mm3', 'relayPassword'], message: /MMSC_TEST_NOT_SET is not set/ });
});

t.test("an mm4 peer's inbound AUTH password may be an scrypt hash", async (t) => {
  const hash = await hashSecret('peer-in-pw', Buffer.from('fedcba9876543210'));
  const c = ConfigSchema.parse({
    mm4: {
      domains: ['mms.mnc001.mcc001.gprs'],
      peers: [
        { id: 'hashed', authUser: 'hub', authPassword: hash },
        { id: 'plain', authUser: 'other', authPassword: 'plain-pw' },
      ],
    },
  });
  const peers = new PeerDirectory(c.mm4.peers);
  t.match(await peers.login('192.0.2.1', 'hub', 'peer-in-pw'), { id: 'hashed' });
  t.equal(await peers.login('192.0.2.1', 'hub', 'wrong'), undefined);
  t.equal(await peers.login('192.0.2.1', 'hub', hash), undefined, 'the hash is not the password');
  t.match(await peers.login('192.0.2.1', 'other', 'plain-pw'), { id: 'plain' });
  t.equal(await peers.login('192.0.2.1', 'nobody', 'plain-pw'), undefined);
});
