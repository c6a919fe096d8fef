import { randomBytes } from 'node:crypto';
import type { Config, Mm1Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { SmppEdge } from '../smpp/edge.js';
import { PapSender } from './pap-sender.js';
import { PapPusher, SmppPusher, type WapPusher } from './pusher.js';
import { Tokens } from './tokens.js';

/**
 * What the MM1 edge decides from the configuration, for the composition root to wire: its tokens, the WAP
 * push bearer, the web-view link of the SMS fallback, and the warnings about a configuration that starts
 * but cannot notify.
 */

/**
 * Retrieval and web-view tokens under mm1.tokenSecret (the same on every instance); without one, a random
 * secret of this process, said once at start.
 */
export function mm1Tokens(config: Mm1Config, log: Logger): Tokens {
  if (config.tokenSecret === undefined) {
    log.warn(
      { key: 'mm1.tokenSecret' },
      'no token secret configured: retrieval and web-view links die with this process and are not valid on other instances',
    );
  }
  return new Tokens(config.tokenSecret ?? randomBytes(32));
}

/**
 * The WAP push bearer (mm1.push): the operator's Push Proxy Gateway over PAP (mm1.papUrl, which the config
 * requires with push = pap), else SMPP through the SMSC that serves the address (none: every push refused).
 */
export function createPusher(config: Mm1Config, o: { smpp: SmppEdge | undefined; metrics: Metrics; log: Logger }): WapPusher {
  if (config.push !== 'pap') return new SmppPusher(o.smpp);
  return new PapPusher(
    new PapSender(
      {
        url: config.papUrl!,
        timeoutMs: config.papTimeoutMs,
        ...(config.papAddressDomain !== undefined ? { addressDomain: config.papAddressDomain } : {}),
      },
      { log: o.log, onResult: (result) => o.metrics.papRequests.inc({ result }) },
    ),
  );
}

/**
 * The web-view link of a message, for the SMS fallback: smpp.viewUrl with its `{token}` replaced when set,
 * else `<mm1.webViewPublicUrl>/m/<token>` (the MM1 web view).
 */
export function viewLinkFor(config: Pick<Config, 'mm1' | 'smpp'>, tokens: Tokens): (messageId: string) => string {
  const { viewUrl } = config.smpp;
  const base = config.mm1.webViewPublicUrl;
  return (messageId) => {
    const token = tokens.view(messageId);
    return viewUrl !== undefined ? viewUrl.replace('{token}', token) : `${base}/m/${token}`;
  };
}

/**
 * Local subscribers are notified by WAP push (mm1.push): over SMPP that needs an SMSC serving their numbers.
 * Without one every message to them is refused ("no SMSC serves ..."); say it once at start, naming the
 * keys, rather than only in each message's history. (push = pap always has its PPG: mm1.papUrl is required.)
 */
export function warnNoPushBearer(config: Pick<Config, 'mm1' | 'smpp'>, log: Logger): void {
  if (config.mm1.push !== 'smpp') return;
  const smscs = config.smpp.smscs;
  if (smscs.length === 0) {
    log.warn(
      { keys: ['mm1.push', 'smpp.smscs', 'mm1.papUrl'], localPrefixes: config.mm1.localPrefixes },
      'no WAP push bearer: mm1.push is smpp but smpp.smscs is empty (and no PPG: mm1.papUrl); messages to local subscribers will be refused, not notified',
    );
    return;
  }
  // A local range no SMSC's prefixes touch (an SMSC with prefixes [] serves every number).
  const related = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  const unserved = config.mm1.localPrefixes.filter(
    (p) => !smscs.some((s) => s.prefixes.length === 0 || s.prefixes.some((q) => related(p, q))),
  );
  if (unserved.length > 0) {
    log.warn(
      { keys: ['mm1.localPrefixes', 'smpp.smscs'], unserved },
      'no SMSC serves these local ranges: their subscribers cannot be notified by WAP push',
    );
  }
}
