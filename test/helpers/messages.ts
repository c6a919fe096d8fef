import type { CoreMessage } from '../../src/core/message.js';

/** A plain one-part text message to `recipients` numbers, for queue tests. */
export function textMessage(id: string, recipients: number, now = Date.now(), overrides: Partial<CoreMessage> = {}): CoreMessage {
  return {
    id,
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: Array.from({ length: recipients }, (_, i) => ({
      address: `+1555100${String(i).padStart(4, '0')}`,
      type: 'plmn',
      kind: 'to',
    })),
    contentType: 'text/plain',
    parts: [{ index: 0, contentType: 'text/plain', size: 16 }],
    expiresAt: now + 24 * 3600_000,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm7', peer: 'vasp-test' },
    receivedAt: now,
    ...overrides,
  };
}
