// Tests for protocols/address (OMA-TS-MMS_ENC 1.3 §8 address encoding, E.164).
// Expected values are written by hand from the spec rules.
import t from 'tap';
import type { Test } from 'tap';
import { AddressError, formatAddress, isE164, normaliseE164, parseAddress } from '../../protocols/address/index.js';
import type { AddressErrorCode, MmsAddress } from '../../protocols/address/index.js';

function expectError(tt: Test, fn: () => unknown, code: AddressErrorCode, input?: string): void {
  try {
    fn();
  } catch (e) {
    tt.ok(e instanceof AddressError, `${code}: is an AddressError`);
    if (!(e instanceof AddressError)) return;
    tt.equal(e.code, code, `code ${code}`);
    tt.equal(e.name, 'AddressError');
    tt.ok(e.message.length > 0 && !e.message.includes('\n'), 'one-line message');
    if (input !== undefined) tt.equal(e.input, input, 'carries the offending input');
    return;
  }
  tt.fail(`expected AddressError ${code}`);
}

t.test('PLMN numbers (§8 global-phone-number)', async (t) => {
  t.same(parseAddress('+15551234567/TYPE=PLMN'), { kind: 'plmn', number: '+15551234567' });
  t.same(parseAddress('+1 (555) 123-4567/TYPE=PLMN'), { kind: 'plmn', number: '+15551234567' });
  t.same(parseAddress('+44.20.7946.0958/TYPE=PLMN'), { kind: 'plmn', number: '+442079460958' });
  t.same(parseAddress('020794609/TYPE=PLMN'), { kind: 'plmn', number: '020794609' });
  t.same(parseAddress('12/TYPE=PLMN'), { kind: 'plmn', number: '12' });
  t.same(parseAddress('+12345/TYPE=PLMN'), { kind: 'plmn', number: '+12345' });
  t.same(parseAddress('+' + '1'.repeat(20) + '/TYPE=PLMN'), { kind: 'plmn', number: '+' + '1'.repeat(20) });
  t.same(parseAddress('+15551234567/type=plmn'), { kind: 'plmn', number: '+15551234567' }, 'TYPE is case-insensitive');
  t.same(parseAddress('+15551234567/Type=Plmn'), { kind: 'plmn', number: '+15551234567' });
  t.same(parseAddress('  +15551234567/TYPE=PLMN  '), { kind: 'plmn', number: '+15551234567' }, 'outer spaces trimmed');
});

t.test('short codes', async (t) => {
  t.same(parseAddress('12345/TYPE=PLMN'), { kind: 'shortcode', code: '12345' });
  t.same(parseAddress('123/TYPE=PLMN'), { kind: 'shortcode', code: '123' });
  t.same(parseAddress('12345678/TYPE=PLMN'), { kind: 'shortcode', code: '12345678' });
  t.same(parseAddress('123456789/TYPE=PLMN'), { kind: 'plmn', number: '123456789' }, '9 digits is a number');
  t.same(parseAddress('12-345/type=plmn'), { kind: 'shortcode', code: '12345' });
  t.same(parseAddress('12345'), { kind: 'shortcode', code: '12345' }, '§8 num-shortcode without /TYPE');
});

t.test('IPv4 and IPv6', async (t) => {
  t.same(parseAddress('1.2.3.4/TYPE=IPv4'), { kind: 'ipv4', address: '1.2.3.4' });
  t.same(parseAddress('255.255.255.255/type=ipv4'), { kind: 'ipv4', address: '255.255.255.255' });
  t.same(parseAddress('0.0.0.0/TYPE=IPv4'), { kind: 'ipv4', address: '0.0.0.0' });
  t.same(parseAddress('::1/TYPE=IPv6'), { kind: 'ipv6', address: '::1' });
  t.same(parseAddress('2001:db8::ff00:42:8329/TYPE=IPv6'), { kind: 'ipv6', address: '2001:db8::ff00:42:8329' });
  t.same(parseAddress('1111:AAAA:bbbb:CdEf:1ABC:2cde:3Def:0000/type=IPV6'), {
    kind: 'ipv6',
    address: '1111:AAAA:bbbb:CdEf:1ABC:2cde:3Def:0000',
  });
  t.same(parseAddress('::ffff:192.0.2.1/TYPE=IPv6'), { kind: 'ipv6', address: '::ffff:192.0.2.1' });
});

t.test('e-mail mailboxes (RFC 5322)', async (t) => {
  t.same(parseAddress('user@example.com'), { kind: 'email', address: 'user@example.com' });
  t.same(parseAddress('first.last+tag@mail.example.co.uk'), { kind: 'email', address: 'first.last+tag@mail.example.co.uk' });
  t.same(parseAddress('user@[192.0.2.1]'), { kind: 'email', address: 'user@[192.0.2.1]' });
  t.same(parseAddress('"Name" <user@example.com>'), { kind: 'email', address: 'user@example.com', displayName: 'Name' });
  t.same(parseAddress('Name <user@example.com>'), { kind: 'email', address: 'user@example.com', displayName: 'Name' });
  t.same(parseAddress('Joe Q. User <joe@example.com>'), { kind: 'email', address: 'joe@example.com', displayName: 'Joe Q. User' });
  t.same(parseAddress(String.raw`"Smith, John \"JJ\" \\o/" <j@example.com>`), {
    kind: 'email',
    address: 'j@example.com',
    displayName: String.raw`Smith, John "JJ" \o/`,
  });
  t.same(parseAddress('"José" <jose@example.es>'), { kind: 'email', address: 'jose@example.es', displayName: 'José' });
  t.same(parseAddress('José <jose@example.es>'), { kind: 'email', address: 'jose@example.es', displayName: 'José' });
  t.same(parseAddress('<user@example.com>'), { kind: 'email', address: 'user@example.com' });
  t.same(parseAddress('"" <user@example.com>'), { kind: 'email', address: 'user@example.com' });
  t.same(parseAddress('"a/TYPE=b" <u@example.com>'), { kind: 'email', address: 'u@example.com', displayName: 'a/TYPE=b' });
  t.same(parseAddress('x/type=y@example.com'), { kind: 'email', address: 'x/type=y@example.com' });
});

t.test('user-defined types go to other', async (t) => {
  t.same(parseAddress('abc/TYPE=xyz'), { kind: 'other', type: 'xyz', value: 'abc' });
  t.same(parseAddress('abc/type=XYZ'), { kind: 'other', type: 'XYZ', value: 'abc' });
  t.same(parseAddress('+H-e.l%6C_o/TYPE=W0r1d_'), { kind: 'other', type: 'W0r1d_', value: '+H-e.l%6C_o' });
});

t.test('parse errors', async (t) => {
  expectError(t, () => parseAddress(''), 'EMPTY', '');
  expectError(t, () => parseAddress('   '), 'EMPTY', '   ');

  expectError(t, () => parseAddress('+1555\n1234/TYPE=PLMN'), 'BAD_CHAR', '+1555\n1234/TYPE=PLMN');
  expectError(t, () => parseAddress('user\u0000@example.com'), 'BAD_CHAR');
  expectError(t, () => parseAddress('abc\u007f/TYPE=xyz'), 'BAD_CHAR');
  expectError(t, () => parseAddress('Name\u0085 <user@example.com>'), 'BAD_CHAR');

  // 244 + "@example.com" (12) = 256 characters is the limit.
  const at256 = 'a'.repeat(244) + '@example.com';
  t.same(parseAddress(at256), { kind: 'email', address: at256 });
  expectError(t, () => parseAddress('a' + at256), 'TOO_LONG', 'a' + at256);
  expectError(t, () => parseAddress('+' + '1'.repeat(21) + '/TYPE=PLMN'), 'TOO_LONG');
  expectError(t, () => parseAddress('1'.repeat(21) + '/TYPE=PLMN'), 'TOO_LONG');

  expectError(t, () => parseAddress('abc/TYPE='), 'BAD_TYPE', 'abc/TYPE=');
  expectError(t, () => parseAddress('abc/TYPE=x-y'), 'BAD_TYPE');
  expectError(t, () => parseAddress('hello'), 'BAD_TYPE');
  expectError(t, () => parseAddress('+15551234567'), 'BAD_TYPE', '+15551234567');

  expectError(t, () => parseAddress('555-CALL-NOW/TYPE=PLMN'), 'BAD_PLMN', '555-CALL-NOW/TYPE=PLMN');
  expectError(t, () => parseAddress('+1555+1234/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('++15551234/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('+/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('--/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('1555#/TYPE=PLMN'), 'BAD_PLMN');
  expectError(t, () => parseAddress('a@b.com/TYPE=PLMN'), 'BAD_PLMN');

  expectError(t, () => parseAddress('12'), 'BAD_SHORTCODE', '12');
  expectError(t, () => parseAddress('123456789'), 'BAD_SHORTCODE');

  expectError(t, () => parseAddress('1.2.3.256/TYPE=IPv4'), 'BAD_IPV4', '1.2.3.256/TYPE=IPv4');
  expectError(t, () => parseAddress('1.2.3/TYPE=IPv4'), 'BAD_IPV4');
  expectError(t, () => parseAddress('1.2.3.4.5/TYPE=IPv4'), 'BAD_IPV4');
  expectError(t, () => parseAddress('01.2.3.4/TYPE=IPv4'), 'BAD_IPV4');
  expectError(t, () => parseAddress('1.2.3.a/TYPE=IPv4'), 'BAD_IPV4');
  expectError(t, () => parseAddress('1.2.3.1000/TYPE=IPv4'), 'BAD_IPV4');
  expectError(t, () => parseAddress('/TYPE=IPv4'), 'BAD_IPV4');

  expectError(t, () => parseAddress('1::2::3/TYPE=IPv6'), 'BAD_IPV6', '1::2::3/TYPE=IPv6');
  expectError(t, () => parseAddress('1:2:3:4:5:6:7:8:9/TYPE=IPv6'), 'BAD_IPV6');
  expectError(t, () => parseAddress('g::1/TYPE=IPv6'), 'BAD_IPV6');
  expectError(t, () => parseAddress('1.2.3.4/TYPE=IPv6'), 'BAD_IPV6');
  expectError(t, () => parseAddress('fe80::1%eth0/TYPE=IPv6'), 'BAD_IPV6');

  expectError(t, () => parseAddress('Name <userexample.com>'), 'BAD_EMAIL', 'Name <userexample.com>');
  expectError(t, () => parseAddress('@example.com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('user@'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('user name@example.com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('user@exa mple.com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('a@b@example.com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('user@-example.com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('user@example..com'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('"Unterminated <u@example.com>'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('Smith, John <u@example.com>'), 'BAD_EMAIL');
  expectError(t, () => parseAddress('Name u@example.com>'), 'BAD_EMAIL');

  expectError(t, () => parseAddress('/TYPE=xyz'), 'BAD_VALUE', '/TYPE=xyz');
  expectError(t, () => parseAddress('a b/TYPE=xyz'), 'BAD_VALUE');
  expectError(t, () => parseAddress('a,b/TYPE=xyz'), 'BAD_VALUE');
  expectError(t, () => parseAddress('abc%zz/TYPE=xyz'), 'BAD_VALUE');
});

t.test('formatAddress canonical wire form', async (t) => {
  t.equal(formatAddress({ kind: 'plmn', number: '+15551234567' }), '+15551234567/TYPE=PLMN');
  t.equal(formatAddress({ kind: 'plmn', number: '020794609' }), '020794609/TYPE=PLMN');
  t.equal(formatAddress({ kind: 'shortcode', code: '12345' }), '12345/TYPE=PLMN');
  t.equal(formatAddress({ kind: 'ipv4', address: '1.2.3.4' }), '1.2.3.4/TYPE=IPv4');
  t.equal(formatAddress({ kind: 'ipv6', address: '::1' }), '::1/TYPE=IPv6');
  t.equal(formatAddress({ kind: 'email', address: 'user@example.com' }), 'user@example.com');
  t.equal(formatAddress({ kind: 'email', address: 'user@example.com', displayName: 'Name' }), '"Name" <user@example.com>');
  t.equal(
    formatAddress({ kind: 'email', address: 'u@example.com', displayName: String.raw`Say "hi" \ bye` }),
    String.raw`"Say \"hi\" \\ bye" <u@example.com>`,
  );
  t.equal(formatAddress({ kind: 'email', address: 'user@example.com', displayName: '' }), 'user@example.com');
  t.equal(formatAddress({ kind: 'other', type: 'xyz', value: 'abc' }), 'abc/TYPE=xyz');
});

t.test('format errors', async (t) => {
  expectError(t, () => formatAddress({ kind: 'plmn', number: '12345' }), 'BAD_PLMN', '12345');
  expectError(t, () => formatAddress({ kind: 'plmn', number: '+1 555 1234' }), 'BAD_PLMN');
  expectError(t, () => formatAddress({ kind: 'plmn', number: '' }), 'BAD_PLMN');
  expectError(t, () => formatAddress({ kind: 'plmn', number: '+' + '9'.repeat(21) }), 'TOO_LONG');
  expectError(t, () => formatAddress({ kind: 'shortcode', code: '12' }), 'BAD_SHORTCODE', '12');
  expectError(t, () => formatAddress({ kind: 'shortcode', code: '123456789' }), 'BAD_SHORTCODE');
  expectError(t, () => formatAddress({ kind: 'shortcode', code: '12a45' }), 'BAD_SHORTCODE');
  expectError(t, () => formatAddress({ kind: 'ipv4', address: '1.2.3.256' }), 'BAD_IPV4', '1.2.3.256');
  expectError(t, () => formatAddress({ kind: 'ipv6', address: 'nope' }), 'BAD_IPV6', 'nope');
  expectError(t, () => formatAddress({ kind: 'email', address: 'userexample.com' }), 'BAD_EMAIL', 'userexample.com');
  expectError(t, () => formatAddress({ kind: 'email', address: 'u@example.com', displayName: 'a\nb' }), 'BAD_CHAR');
  expectError(t, () => formatAddress({ kind: 'email', address: 'a'.repeat(245) + '@example.com' }), 'TOO_LONG');
  expectError(t, () => formatAddress({ kind: 'other', type: 'PLMN', value: 'abc' }), 'BAD_TYPE', 'PLMN');
  expectError(t, () => formatAddress({ kind: 'other', type: 'ipv6', value: 'abc' }), 'BAD_TYPE');
  expectError(t, () => formatAddress({ kind: 'other', type: 'x y', value: 'abc' }), 'BAD_TYPE');
  expectError(t, () => formatAddress({ kind: 'other', type: 'xyz', value: 'a b' }), 'BAD_VALUE', 'a b');
  expectError(t, () => formatAddress({ kind: 'fax', number: '1' } as unknown as MmsAddress), 'BAD_TYPE', 'fax');
});

t.test('round trips', async (t) => {
  const models: MmsAddress[] = [
    { kind: 'plmn', number: '+15551234567' },
    { kind: 'plmn', number: '+12345' },
    { kind: 'plmn', number: '12' },
    { kind: 'plmn', number: '123456789' },
    { kind: 'plmn', number: '+' + '1'.repeat(20) },
    { kind: 'shortcode', code: '123' },
    { kind: 'shortcode', code: '12345678' },
    { kind: 'ipv4', address: '192.0.2.1' },
    { kind: 'ipv6', address: '2001:db8::1' },
    { kind: 'ipv6', address: '1111:AAAA:bbbb:CdEf:1ABC:2cde:3Def:0000' },
    { kind: 'email', address: 'user@example.com' },
    { kind: 'email', address: 'user@example.com', displayName: 'Name' },
    { kind: 'email', address: 'u@example.com', displayName: String.raw`Say "hi" \ bye <now>` },
    { kind: 'email', address: 'u@example.com', displayName: ' padded ' },
    { kind: 'email', address: 'jose@example.es', displayName: 'José' },
    { kind: 'email', address: 'u@example.com', displayName: 'x/TYPE=PLMN' },
    { kind: 'other', type: 'xyz', value: 'abc' },
    { kind: 'other', type: 'W0r1d_', value: '+H-e.l%6C_o' },
  ];
  for (const a of models) t.same(parseAddress(formatAddress(a)), a, `model ${JSON.stringify(a)}`);

  const wires = [
    '+15551234567/TYPE=PLMN',
    '12345/TYPE=PLMN',
    '1.2.3.4/TYPE=IPv4',
    '::1/TYPE=IPv6',
    'user@example.com',
    '"Name" <user@example.com>',
    'abc/TYPE=xyz',
  ];
  for (const w of wires) t.equal(formatAddress(parseAddress(w)), w, `wire ${w}`);

  // Non-canonical input comes back in canonical form.
  t.equal(formatAddress(parseAddress('+1 (555) 123-4567/type=plmn')), '+15551234567/TYPE=PLMN');
  t.equal(formatAddress(parseAddress('Name <user@example.com>')), '"Name" <user@example.com>');
  t.equal(formatAddress(parseAddress('12345')), '12345/TYPE=PLMN');
});

t.test('normaliseE164', async (t) => {
  t.equal(normaliseE164('+44 20 7946 0958'), '+442079460958');
  t.equal(normaliseE164('+1 (555) 123-4567'), '+15551234567');
  t.equal(normaliseE164('+33.1.23.45.67.89'), '+33123456789');
  t.equal(normaliseE164('+15551234567/TYPE=PLMN'), '+15551234567');
  t.equal(normaliseE164('+15551234567/type=plmn'), '+15551234567');
  t.equal(normaliseE164('+123456789012345'), '+123456789012345', '15 digits is the maximum');
  t.equal(normaliseE164('+1234567'), '+1234567', '7 digits is the minimum');
  // International prefix: default '00', configurable.
  t.equal(normaliseE164('0044 20 7946 0958'), '+442079460958');
  t.equal(normaliseE164('011 44 20 7946 0958', { internationalPrefix: '011' }), '+442079460958');
  t.equal(normaliseE164('0033612345678', { defaultCountryCode: '44' }), '+33612345678', 'international prefix wins over national');
  // National numbers: national prefix (default '0') replaced by the country code.
  t.equal(normaliseE164('020 7946 0958', { defaultCountryCode: '44' }), '+442079460958');
  t.equal(normaliseE164('06 12 34 56 78', { defaultCountryCode: '33' }), '+33612345678');
  t.equal(normaliseE164('1 555 123 4567', { defaultCountryCode: '1', nationalPrefix: '1' }), '+15551234567');
  t.equal(normaliseE164('(555) 123-4567', { defaultCountryCode: '1', nationalPrefix: '' }), '+15551234567');
  t.equal(normaliseE164('33 12 34 56', { defaultCountryCode: '45', nationalPrefix: '' }), '+4533123456');
});

t.test('normaliseE164 errors', async (t) => {
  expectError(t, () => normaliseE164(''), 'BAD_E164', '');
  expectError(t, () => normaliseE164('   '), 'BAD_E164');
  expectError(t, () => normaliseE164('+44 20 CALL'), 'BAD_E164', '+44 20 CALL');
  expectError(t, () => normaliseE164('++442079460958'), 'BAD_E164');
  expectError(t, () => normaliseE164('+44+2079460958'), 'BAD_E164');
  expectError(t, () => normaliseE164('44+2079460958'), 'BAD_E164');
  expectError(t, () => normaliseE164('+'), 'BAD_E164');
  expectError(t, () => normaliseE164('00'), 'BAD_E164');
  expectError(t, () => normaliseE164('+0441234567'), 'BAD_E164');
  expectError(t, () => normaliseE164('000441234567'), 'BAD_E164');
  expectError(t, () => normaliseE164('+1234567890123456'), 'BAD_E164');
  expectError(t, () => normaliseE164('020 7946 0958'), 'BAD_E164', '020 7946 0958');
  expectError(t, () => normaliseE164('2079460958', { defaultCountryCode: '44' }), 'BAD_E164');
  expectError(t, () => normaliseE164('1.2.3.4/TYPE=IPv4'), 'BAD_E164');
  expectError(t, () => normaliseE164('+44\t2079460958'), 'BAD_E164');

  for (const [input, opts] of [
    ['12345', undefined],
    ['12345', { defaultCountryCode: '44' }],
    ['+12345', undefined],
    ['012345', { defaultCountryCode: '1' }],
  ] as const) {
    try {
      normaliseE164(input, opts);
      t.fail(`expected ${input} to be rejected as a short code`);
    } catch (e) {
      t.ok(e instanceof AddressError && e.code === 'BAD_E164', `${input}: BAD_E164`);
      t.match((e as Error).message, /short code/, `${input}: message says short code`);
    }
  }

  t.throws(() => normaliseE164('+442079460958', { defaultCountryCode: '044' }), RangeError);
  t.throws(() => normaliseE164('+442079460958', { internationalPrefix: '' }), RangeError);
  t.throws(() => normaliseE164('+442079460958', { nationalPrefix: 'x' }), RangeError);
});

t.test('isE164', async (t) => {
  t.equal(isE164('+442079460958'), true);
  t.equal(isE164('+15551234567'), true);
  t.equal(isE164('+1234567'), true);
  t.equal(isE164('+123456789012345'), true);
  t.equal(isE164('442079460958'), false);
  t.equal(isE164('+0441234567'), false);
  t.equal(isE164('+123456'), false);
  t.equal(isE164('+1234567890123456'), false);
  t.equal(isE164('+44 20 7946 0958'), false);
  t.equal(isE164('+15551234567/TYPE=PLMN'), false);
  t.equal(isE164(''), false);
});
