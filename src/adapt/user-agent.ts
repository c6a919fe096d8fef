import type { UserAgentClass } from '../ops/config-content.js';
import type { HandsetLimits } from './profile-caps.js';

/** A User-Agent is matched cut to this length (the MM1 server keeps no more; a regex never sees a huge input). */
const MAX_MATCHED = 512;

/**
 * Classes of handsets by User-Agent (content.userAgents): the first whose regular expression matches, case-
 * insensitive. Used when no UAProf is known for a subscriber (issue 25's order: UAProf -> User-Agent class ->
 * the default). The expressions are the operator's (checked at config load); compiled once here.
 */
export class UserAgentClasses {
  private readonly classes: ReadonlyArray<{ c: UserAgentClass; re: RegExp }>;

  constructor(classes: readonly UserAgentClass[]) {
    this.classes = classes.map((c) => ({ c, re: new RegExp(c.match, 'i') }));
  }

  /** The first class whose expression matches the User-Agent, else undefined. */
  match(userAgent: string | undefined): UserAgentClass | undefined {
    if (userAgent === undefined || userAgent === '') return undefined;
    const ua = userAgent.slice(0, MAX_MATCHED);
    return this.classes.find(({ re }) => re.test(ua))?.c;
  }

  /** The limits the matching class sets (unset ones: the next source decides), else undefined. */
  limits(userAgent: string | undefined): (HandsetLimits & { name: string }) | undefined {
    const c = this.match(userAgent);
    if (!c) return undefined;
    return {
      name: c.name,
      maxMessageBytes: c.maxMessageBytes,
      ...(c.maxImageWidth !== undefined ? { maxImageWidth: c.maxImageWidth } : {}),
      ...(c.maxImageHeight !== undefined ? { maxImageHeight: c.maxImageHeight } : {}),
      ...(c.contentTypes !== undefined ? { contentTypes: c.contentTypes.map((t) => t.toLowerCase()) } : {}),
    };
  }
}
