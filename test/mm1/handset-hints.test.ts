// HandsetHints (src/mm1/handset-hints.ts) on its own: off the request's path, bounded, failures logged; the
// UAProf of a (subscriber, profile URL) looked at once known, again while unknown; text-only set and cleared
// in the real memory SubscriberStore.
import t from 'tap';
import type { UaProfile } from '../../protocols/uaprof/model.js';
import type { HandsetHint, HandsetMemory, ProfileSource } from '../../src/adapt/capabilities.js';
import { HandsetHints } from '../../src/mm1/handset-hints.js';
import { MemorySubscribers } from '../../src/store/memory/subscribers.js';
import { captureLog } from '../helpers/log-capture.js';
import { until } from '../helpers/until.js';

const A = '+15550000001';
const MMS = 'http://p.example/mms.rdf';
const NONE = 'http://p.example/none.rdf';
const LATER = 'http://p.example/later.rdf';

class Profiles implements ProfileSource {
  lookups: string[] = [];
  known = new Set([MMS, NONE]);
  async lookup(url: string): Promise<UaProfile | undefined> {
    this.lookups.push(url);
    if (!this.known.has(url)) return undefined;
    return { mmsCcppAccept: [], mmsCcppAcceptCharSet: [], mmsVersion: [], hasMms: url !== NONE };
  }
}

function memory(): HandsetMemory & { writes: HandsetHint[] } {
  const writes: HandsetHint[] = [];
  return { writes, get: async () => undefined, remember: async (_a, h) => void writes.push(h) };
}

t.test('the UAProf of a subscriber: text-only set, looked at once known, cleared by a profile with MMS', async (t) => {
  const profiles = new Profiles();
  const subscribers = new MemorySubscribers();
  const mem = memory();
  const { log, lines } = captureLog('info');
  const hints = new HandsetHints({ memory: mem, profiles, subscribers, log, now: () => 42 });
  hints.note(A, { 'x-wap-profile': `"${NONE}"`, 'user-agent': 'Browser/1' });
  await until('text-only', async () => (await subscribers.get(A)).textOnly);
  t.strictSame(mem.writes, [{ profileUrl: NONE, userAgent: 'Browser/1', at: 42 }]);
  hints.note(A, { 'x-wap-profile': `"${NONE}"` });
  await until('the second hint written', () => mem.writes.length === 2);
  await new Promise((r) => setTimeout(r, 20));
  t.strictSame(profiles.lookups, [NONE], 'a profile already checked for this subscriber is not looked up again');

  hints.note(A, { 'x-wap-profile': `"${LATER}"` });
  await until('looked up', () => profiles.lookups.length === 2);
  await new Promise((r) => setTimeout(r, 20));
  hints.note(A, { 'x-wap-profile': `"${LATER}"` });
  await until('looked up again: it was not known', () => profiles.lookups.length === 3);
  t.equal((await subscribers.get(A)).textOnly, true, 'an unknown profile changes nothing');

  hints.note(A, { 'x-wap-profile': `"${MMS}"` });
  await until('no longer text-only', async () => !(await subscribers.get(A)).textOnly);
  t.ok(lines.some((l) => l.msg.includes('no longer text-only')));
  hints.note(A, {});
  await new Promise((r) => setTimeout(r, 20));
  t.equal(mem.writes.length, 5, 'headers that say nothing: nothing written');
});

t.test('a failing memory is logged, never thrown; a hanging one holds at most 1,000 notes', async (t) => {
  const { log, lines } = captureLog('warn');
  const failing = new HandsetHints({
    memory: { get: async () => undefined, remember: async () => Promise.reject(new Error('store down')) },
    log,
  });
  failing.note(A, { 'user-agent': 'X' });
  await until('the warning', () => lines.find((l) => l.msg === 'handset hint not remembered'));

  let calls = 0;
  const hanging = new HandsetHints({ memory: { get: async () => undefined, remember: () => (calls++, new Promise<void>(() => {})) }, log });
  for (let i = 0; i < 1_500; i++) hanging.note(A, { 'user-agent': `UA ${i}` });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(calls, 1_000, 'the 500 over the bound were dropped');
});

t.test('a hint the memory knows goes no further, unless its UAProf is still to be checked', async (t) => {
  const profiles = new Profiles();
  const subscribers = new MemorySubscribers();
  let remembers = 0;
  const known = new Set<string>();
  const mem: HandsetMemory = {
    get: async () => undefined,
    remember: async (_a, h) => void (remembers++, known.add(`${h.profileUrl}|${h.userAgent}`)),
    knows: (_a, h) => known.has(`${h.profileUrl}|${h.userAgent}`),
  };
  const { log } = captureLog('warn');
  const hints = new HandsetHints({ memory: mem, profiles, subscribers, log, now: () => 7 });
  hints.noteHint(A, { userAgent: 'Phone/1', at: 7 });
  await until('remembered', () => remembers === 1);
  hints.noteHint(A, { userAgent: 'Phone/1', at: 8 });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(remembers, 1, 'known: not remembered again');
  known.add(`${NONE}|undefined`);
  hints.noteHint(A, { profileUrl: NONE, at: 9 });
  await until('its UAProf looked at although the memory knew the hint', async () => (await subscribers.get(A)).textOnly);
  t.strictSame(profiles.lookups, [NONE]);
  hints.noteHint(A, { profileUrl: NONE, at: 10 });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(remembers, 2, 'checked and known: nothing more');
  t.strictSame(profiles.lookups, [NONE]);
});
