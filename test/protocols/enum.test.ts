// ENUM for MMS (RFC 6116, RFC 3402/3403, RFC 4355): the domain of a number, which NAPTR records count and in
// which order, the regexp substitution, and hostile regexps refused quickly. Expected values written by hand
// from the RFCs' examples.
import t from 'tap';
import {
  EnumError,
  MAX_REGEXP_CHARS,
  type NaptrRecord,
  applyRegexp,
  enumDomain,
  isMmsMailto,
  mailtoDomain,
  mmsDomain,
  mmsRecords,
} from '../../protocols/enum/index.js';

const N = '+31612345678';

function rec(o: Partial<NaptrRecord>): NaptrRecord {
  return { flags: 'u', service: 'E2U+mms:mailto', regexp: '', replacement: '', order: 100, preference: 10, ...o };
}

t.test('enumDomain: digits reversed under the apex (RFC 6116 §2.4)', async (t) => {
  t.equal(enumDomain('+441632960083'), '3.8.0.0.6.9.2.3.6.1.4.4.e164.arpa', 'the RFC 6116 §2.4 example');
  t.equal(enumDomain(N, 'e164enum.net'), '8.7.6.5.4.3.2.1.6.1.3.e164enum.net');
  t.equal(enumDomain(N, 'e164enum.net.'), '8.7.6.5.4.3.2.1.6.1.3.e164enum.net', 'a trailing dot is dropped');
  for (const bad of ['31612345678', '+0123', '+1234567890123456', '+3161234a678', '']) {
    t.throws(() => enumDomain(bad), { code: 'BAD_NUMBER' }, `refused: ${bad}`);
  }
  t.throws(() => enumDomain(N, 'bad apex'), { code: 'BAD_NUMBER' });
  t.throws(() => enumDomain(N, 'a..b'), { code: 'BAD_NUMBER' });
});

t.test('isMmsMailto: the mms enumservice with mailto, any case, among others', async (t) => {
  t.ok(isMmsMailto('E2U+mms:mailto'));
  t.ok(isMmsMailto('e2u+MMS:MAILTO'));
  t.ok(isMmsMailto('E2U+mms'), "RFC 3761's form without subtype");
  t.ok(isMmsMailto('E2U+email:mailto+mms:mailto'));
  t.notOk(isMmsMailto('E2U+mms:tel'), 'a tel URI names a number, not a network');
  t.notOk(isMmsMailto('E2U+sip'));
  t.notOk(isMmsMailto('SIP+D2U'));
  t.notOk(isMmsMailto('E2Ummm+mms'));
});

t.test('mmsRecords: terminal mms records only, by order then preference (RFC 3403 §4.1)', async (t) => {
  const records = [
    rec({ order: 20, preference: 1, regexp: 'a' }),
    rec({ order: 10, preference: 50, regexp: 'b' }),
    rec({ order: 10, preference: 5, regexp: 'c' }),
    rec({ order: 1, preference: 1, regexp: 'd', service: 'E2U+sip' }),
    rec({ order: 1, preference: 1, regexp: 'e', flags: '' }),
    rec({ order: 1, preference: 2, regexp: 'f', flags: 'U' }),
  ];
  t.strictSame(
    mmsRecords(records).map((r) => r.regexp),
    ['f', 'c', 'b', 'a'],
  );
});

t.test('applyRegexp: RFC 3402 §3.2 substitution expressions', async (t) => {
  t.equal(applyRegexp('!^.*$!mailto:+31612345678@mms.mnc008.mcc204.gprs!', N), 'mailto:+31612345678@mms.mnc008.mcc204.gprs');
  t.equal(
    applyRegexp('!^(\\+316.*)$!mailto:\\1@mms.mnc008.mcc204.gprs!', N),
    'mailto:+31612345678@mms.mnc008.mcc204.gprs',
    'back reference',
  );
  t.equal(applyRegexp('!^\\+31(.*)$!mailto:+31\\1@x.example!', N), 'mailto:+31612345678@x.example');
  t.equal(applyRegexp('/^\\+([[:digit:]]+)$/mailto:+\\1@y.example/', N), 'mailto:+31612345678@y.example', 'POSIX class, / delimiter');
  t.equal(applyRegexp('#^\\+31(6)#\\1\\2\\\\#', N), '6\\', 'an unset group is empty; \\\\ is one backslash');
  t.equal(applyRegexp('!^X(.*)$!mailto:\\1@z.example!i', 'x9'), 'mailto:9@z.example', 'the i flag');
  t.equal(applyRegexp('|^\\+(.*)$|a\\|b|', N), 'a|b', 'an escaped delimiter in repl');
  t.throws(() => applyRegexp('!^\\+1(.*)$!x!', N), { code: 'NO_MATCH' });
  for (const bad of ['', '!!', '!a!b', '!a!b!c!d', '1a1b1', '!a!b!g', '!(!b!', 'iai bi']) {
    t.throws(() => applyRegexp(bad, N), EnumError, `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('applyRegexp: hostile patterns are refused before they run, and fast', async (t) => {
  const hostile = [
    '!(\\d+)+$!x!',
    '!^(a|aa)*$!x!',
    '!^((.*)*)*X$!x!',
    '!(.){1,10}!x!',
    '!^.*.*.*.*.*.*.*X$!x!',
    '!(?=.*)!x!',
    '!(?<n>.)!x!',
    '!^(.)\\1$!x!',
  ];
  // 30 digits and a letter: (\d+)+$ alone would try 2^30 splits here.
  const aus = `${'1'.repeat(30)}a`;
  const start = process.hrtime.bigint();
  for (const re of hostile) t.throws(() => applyRegexp(re, aus), { code: 'UNSAFE_REGEXP' }, `refused: ${re}`);
  t.throws(() => applyRegexp(`!${'a'.repeat(MAX_REGEXP_CHARS)}!x!`, aus), { code: 'TOO_LONG' });
  t.ok(Number(process.hrtime.bigint() - start) / 1e6 < 500, 'all refused without backtracking');
  t.throws(
    () =>
      applyRegexp('!^(.*)$!\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1\\1!', '+1234567890123456789012345678901'),
    {
      code: 'TOO_LONG',
    },
  );
  t.throws(() => applyRegexp('!^.*$!x!', `+${'1'.repeat(40)}`), { code: 'TOO_LONG' });
});

t.test('mailtoDomain: the domain after the last @, lowercased; nothing else', async (t) => {
  t.equal(mailtoDomain('mailto:+31612345678@MMS.mnc008.mcc204.GPRS'), 'mms.mnc008.mcc204.gprs');
  t.equal(mailtoDomain('MAILTO:a@b@mms.example.'), 'mms.example');
  t.equal(mailtoDomain('sip:+31612345678@mms.example'), undefined);
  t.equal(mailtoDomain('mailto:+31612345678'), undefined);
  t.equal(mailtoDomain('mailto:x@localhost'), undefined, 'one label is no MMS domain');
  t.equal(mailtoDomain('mailto:x@evil.example\r\nX-Injected: 1'), undefined);
  t.equal(mailtoDomain('mailto:x@-bad-.example'), undefined);
});

t.test('mmsDomain: the first record, best first, that yields a mailto domain; why others did not', async (t) => {
  const records = [
    rec({ order: 10, preference: 1, regexp: '!^(a+)+$!x!' }),
    rec({ order: 10, preference: 2, regexp: '!^.*$!sip:x@y.example!' }),
    rec({ order: 10, preference: 3, regexp: '!^(.*)$!mailto:\\1@mms.mnc003.mcc204.gprs!' }),
    rec({ order: 5, preference: 1, regexp: '!^.*$!mailto:x@other.example!', service: 'E2U+sip' }),
    rec({ order: 20, preference: 1, regexp: '!^.*$!mailto:x@late.example!' }),
  ];
  const r = mmsDomain(records, N);
  t.equal(r.domain, 'mms.mnc003.mcc204.gprs');
  t.equal(r.skipped.length, 2);
  t.match(r.skipped[0], /^UNSAFE_REGEXP/);
  t.equal(r.skipped[1], 'not a mailto URI with a domain');
  t.strictSame(mmsDomain([], N), { skipped: [] });
  t.equal(mmsDomain([rec({ regexp: 'garbage' })], N).domain, undefined);
});
