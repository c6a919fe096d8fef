import type { Capabilities } from '../../src/adapt/capabilities.js';
import { capabilityClass } from '../../src/adapt/capabilities.js';
import type { RecipientAdapter } from '../../src/adapt/recipient.js';

/** The default handset's capabilities as a test states them. */
export const TEST_CAPS: Capabilities = {
  maxMessageBytes: 300 * 1024,
  maxImageWidth: 640,
  maxImageHeight: 480,
  contentTypes: ['text/plain', 'application/smil', 'image/*', 'audio/*', 'video/*'],
  source: 'default',
};

/** An adapter that sends every message as it is (for tests of a route's other duties). */
export const passThroughAdapter: RecipientAdapter = {
  capabilities: async () => TEST_CAPS,
  content: async (m, _i, caps, load) => {
    const content = [...(await load())];
    const size = m.parts.reduce((n, p) => n + p.size, 0);
    return {
      ok: true,
      outcome: {
        classKey: capabilityClass(caps),
        contentType: m.contentType,
        ...(m.contentTypeParams ? { contentTypeParams: m.contentTypeParams } : {}),
        parts: m.parts,
        changed: false,
        changes: [],
        bytesBefore: size,
        bytesAfter: size,
      },
      content,
    };
  },
};
