// The handset's profile reference (x-wap-profile / Profile) and User-Agent on MM1 requests
// (src/mm1/profile-header.ts): the forms real handsets and WAP gateways send, and hostile ones.
import t from 'tap';
import { handsetHintOf, MAX_USER_AGENT, profileUrlOf, userAgentOf } from '../../src/mm1/profile-header.js';

const URL_A = 'http://nds1.nds.nokia.com/uaprof/N6230r200.xml';

t.test('the forms of x-wap-profile: quoted, unquoted, with profile-diff digests, several headers', async (t) => {
  t.equal(profileUrlOf(`"${URL_A}"`), URL_A, 'quoted');
  t.equal(profileUrlOf(URL_A), URL_A, 'unquoted');
  t.equal(profileUrlOf(`  "${URL_A}"  `), URL_A, 'spaces around');
  t.equal(profileUrlOf(`"${URL_A}", 1-gDVDA8dnNsUPf7yUnH8UGw==`), URL_A, 'a diff digest after');
  t.equal(profileUrlOf(`"${URL_A}",1-abc==, 2-def==`), URL_A, 'several digests, no space');
  t.equal(profileUrlOf(`1-gDVDA8dnNsUPf7yUnH8UGw==, "${URL_A}"`), URL_A, 'a digest first: the first URL');
  t.equal(profileUrlOf(['1-abc==', `"${URL_A}"`]), URL_A, 'several headers of one name, in order');
  t.equal(profileUrlOf('"https://profiles.example/a,b.rdf", 1-x'), 'https://profiles.example/a,b.rdf', 'a comma inside the quotes');
  t.equal(profileUrlOf('"HTTP://Profiles.Example/X.rdf"'), 'http://profiles.example/X.rdf', 'normalised scheme and host, path kept');
  t.equal(profileUrlOf('" http://profiles.example/p.xml "'), 'http://profiles.example/p.xml', 'spaces inside the quotes');
});

t.test('what is not a profile URL is not taken', async (t) => {
  t.equal(profileUrlOf(undefined), undefined);
  t.equal(profileUrlOf(''), undefined);
  t.equal(profileUrlOf('1-gDVDA8dnNsUPf7yUnH8UGw=='), undefined, 'a digest alone');
  t.equal(profileUrlOf('"file:///etc/passwd"'), undefined, 'file:');
  t.equal(profileUrlOf('"gopher://x/"'), undefined, 'another scheme');
  t.equal(profileUrlOf('"/uaprof/relative.xml"'), undefined, 'relative');
  t.equal(profileUrlOf('"http://profiles.example/unterminated'), undefined, 'a quote never closed');
  t.equal(profileUrlOf('"http://"'), undefined, 'no host');
  t.equal(profileUrlOf(`"http://profiles.example/${'a'.repeat(1100)}"`), undefined, 'over 1024 characters');
  // Entries after the 16th are not looked at: a header of 5,000 commas then a URL costs as much as 16 entries.
  t.equal(profileUrlOf(`${','.repeat(5000)}"${URL_A}"`), undefined, 'past the first 16 entries');
  t.equal(profileUrlOf(`${','.repeat(10)}"${URL_A}"`), URL_A, 'within them');
  const start = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) profileUrlOf(`${'"'.repeat(8000)}${','.repeat(8000)}`);
  t.ok(Number(process.hrtime.bigint() - start) / 1e6 < 500, '100 hostile 16 KB headers parsed in well under a second');
});

t.test('User-Agent: trimmed, control characters removed, cut', async (t) => {
  t.equal(userAgentOf(' Nokia6230/2.0 (05.43) '), 'Nokia6230/2.0 (05.43)');
  t.equal(userAgentOf('Bad\x00Agent\x1b[31m'), 'Bad Agent [31m');
  t.equal(userAgentOf('   '), undefined);
  t.equal(userAgentOf(undefined), undefined);
  t.equal(userAgentOf('x'.repeat(5000))?.length, MAX_USER_AGENT);
});

t.test('the hint of a request: x-wap-profile before Profile, with the User-Agent; nothing when neither', async (t) => {
  t.strictSame(handsetHintOf({ 'x-wap-profile': `"${URL_A}"`, profile: '"http://other.example/p.rdf"', 'user-agent': 'Nokia6230' }, 7), {
    profileUrl: URL_A,
    userAgent: 'Nokia6230',
    at: 7,
  });
  t.strictSame(handsetHintOf({ profile: `"${URL_A}"` }, 8), { profileUrl: URL_A, at: 8 }, 'Profile alone');
  t.strictSame(
    handsetHintOf({ 'x-wap-profile': '1-abc==', profile: `"${URL_A}"` }, 8),
    { profileUrl: URL_A, at: 8 },
    'an x-wap-profile without a URL leaves Profile',
  );
  t.strictSame(handsetHintOf({ 'user-agent': 'SEC-SGHE900' }, 9), { userAgent: 'SEC-SGHE900', at: 9 });
  t.equal(handsetHintOf({ 'x-wap-profile': 'garbage' }, 9), undefined);
  t.equal(handsetHintOf({}, 9), undefined);
});
