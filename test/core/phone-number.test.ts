// Numbers as senders write them -> +E.164 or why not (libphonenumber-js max metadata). The expected reasons
// are what the numbering plans say of each number, written by hand.
import t from 'tap';
import { isKnownRegion, parsePhoneNumber } from '../../src/core/phone-number.js';

t.test('valid numbers in any spacing become +E.164', async (t) => {
  const cases: Array<[string, string | undefined, string]> = [
    ['+14155550100', undefined, '+14155550100'],
    ['+1 (415) 555-0100', undefined, '+14155550100'],
    ['+44 7911 123456', undefined, '+447911123456'],
    ['+4915112345678', undefined, '+4915112345678'],
    ['  +33 6 12 34 56 78 ', undefined, '+33612345678'],
    // National forms in the account's default region.
    ['4155550100', 'US', '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['07911 123456', 'GB', '+447911123456'],
    ['0612345678', 'FR', '+33612345678'],
    // A + number is read as written whatever the default region.
    ['+447911123456', 'US', '+447911123456'],
  ];
  for (const [text, region, e164] of cases) t.same(parsePhoneNumber(text, region), { ok: true, e164 }, `${text} in ${region ?? '-'}`);
});

t.test('each reason', async (t) => {
  const cases: Array<[string, string | undefined, string]> = [
    ['+99912345678', undefined, 'INVALID_COUNTRY'], // +999 is no country's code
    ['4155550100', undefined, 'INVALID_COUNTRY'], // no + and no default region
    ['12345', undefined, 'INVALID_COUNTRY'], // a short code: no country
    ['+1', undefined, 'TOO_SHORT'],
    ['+1234', undefined, 'TOO_SHORT'],
    ['+1415555010012345', undefined, 'TOO_LONG'],
    ['+336123456789', undefined, 'TOO_LONG'],
    ['+4422222222', undefined, 'INVALID_LENGTH'], // 8 digits: between the UK's shortest and longest, but no plan has it
    ['abc', undefined, 'NOT_A_NUMBER'],
    ['bob@example.com', undefined, 'NOT_A_NUMBER'],
    ['call +14155550100 now', undefined, 'NOT_A_NUMBER'], // a number inside text is not taken out of it
    ['tel:+14155550100', undefined, 'NOT_A_NUMBER'],
    ['+14155550100 ext. 5', undefined, 'NOT_A_NUMBER'], // an extension cannot get a message
    ['+1415555O100', undefined, 'NOT_A_NUMBER'], // a letter O for a zero
    ['+12005550100', undefined, 'INVALID_FOR_REGION'], // area code 200 is not assigned
    ['+447700900123', undefined, 'INVALID_FOR_REGION'], // Ofcom's drama range: never in service
    ['07700900123', 'GB', 'INVALID_FOR_REGION'],
    [`+1${'5'.repeat(200)}`, undefined, 'TOO_LONG'],
  ];
  for (const [text, region, reason] of cases) {
    const r = parsePhoneNumber(text, region);
    t.equal(r.ok, false, `${text.slice(0, 30)}: refused`);
    if (!r.ok) {
      t.equal(r.reason, reason, `${text.slice(0, 30)} in ${region ?? '-'}: ${reason}`);
      t.ok(r.message.length > 0, 'with words for the sender');
    }
  }
});

t.test('hostile input is answered, not thrown', async (t) => {
  for (const text of ['', '+', '++++', '\u0000', '٤١٥٥٥٥٠١٠٠', 'x'.repeat(100_000), '+1'.repeat(10_000)]) {
    const r = parsePhoneNumber(text);
    t.equal(r.ok, false, `${JSON.stringify(text.slice(0, 12))}: refused`);
  }
});

t.test('default regions', async (t) => {
  t.ok(isKnownRegion('US'));
  t.ok(isKnownRegion('GB'));
  t.notOk(isKnownRegion('XX'));
  t.notOk(isKnownRegion('gb'), 'upper case, as ISO 3166-1 writes them');
  t.same(parsePhoneNumber('4155550100', 'XX'), parsePhoneNumber('4155550100'), 'an unknown region is no region');
});
