import type { Logger } from 'pino';
import { checkParts, type IntakeContentCheck } from '../core/content-check.js';
import type { MimeEntity } from '../../protocols/mime/index.js';
import { MM7_CODE, type CancelReq, type Mm7StatusCode, type ReplaceReq } from '../../protocols/mm7/index.js';
import type { CoreMessage } from '../core/message.js';
import { Refusal } from '../core/refusals.js';
import { sanitiseMessage } from '../core/sanitise.js';
import type { VaspConfig } from '../ops/config.js';
import type { ContentStage, Queue } from '../core/ports.js';
import { contentOf, when } from './submit.js';

export interface Answer {
  code: Mm7StatusCode;
  text: string;
  /** What core/sanitise.ts changed in replacement content (for the log). */
  sanitised?: string[];
}

/** The VASP's own message, or message-not-found (§8.7.4 2005); another VASP's message is not found either. */
async function ownMessage(queue: Queue, vasp: VaspConfig, req: CancelReq | ReplaceReq): Promise<CoreMessage> {
  if (req.vaspId !== undefined && req.vaspId !== vasp.id) {
    throw new Refusal('improper-identification', `VASPID ${req.vaspId} does not match the authenticated VASP ${vasp.id}`);
  }
  const message = await queue.message(req.messageId);
  if (
    !message ||
    message.origin.peer !== vasp.id ||
    (message.origin.iface !== 'mm7' && message.origin.iface !== 'rest') ||
    message.report
  ) {
    throw new Refusal('message-not-found', `no message ${req.messageId} of VASP ${vasp.id}`);
  }
  return message;
}

/**
 * CancelReq (TS 23.140 §8.7.3): recipients not yet delivered end `cancelled`. Refused too-late (3001 Not
 * possible: "a cancel ... on a message that is no longer available for cancel") when nothing could be cancelled.
 */
export async function cancel(queue: Queue, vasp: VaspConfig, req: CancelReq): Promise<Answer> {
  await ownMessage(queue, vasp, req);
  const r = await queue.cancel(req.messageId, `cancelled by VASP ${vasp.id}`);
  if (!r) throw new Refusal('message-not-found', `no message ${req.messageId} of VASP ${vasp.id}`);
  if (r.cancelled === 0) {
    const why = r.inProgress > 0 ? 'its recipients are being delivered now' : 'every recipient has it already, or it ended';
    throw new Refusal('too-late', `message ${req.messageId} cannot be cancelled: ${why}`);
  }
  const rest = r.inProgress > 0 ? `; ${r.inProgress} being delivered now could not be` : '';
  return { code: MM7_CODE.SUCCESS, text: `cancelled for ${r.cancelled} recipient(s)${rest}` };
}

/**
 * ReplaceReq (TS 23.140 §8.7.4): new content and service data for a message nobody has received yet. The
 * recipients, sender and expiry stay those of the original. Refused too-late once it is delivered (or being delivered).
 */
export async function replace(
  queue: Queue,
  vasp: VaspConfig,
  req: ReplaceReq,
  root: MimeEntity | undefined,
  now: number,
  stage?: ContentStage,
  check?: { content: IntakeContentCheck; log: Logger },
): Promise<Answer> {
  const original = await ownMessage(queue, vasp, req);
  const next: CoreMessage = structuredClone(original);
  let content: Buffer[] | ContentStage | undefined;
  let sanitised: string[] = [];
  if (req.content) {
    const c = contentOf(req.content, root, vasp, stage);
    next.contentType = c.contentType;
    if (c.contentTypeParams) next.contentTypeParams = c.contentTypeParams;
    else delete next.contentTypeParams;
    next.parts = c.parts;
    // The server's replacement stage when the content was streamed, else the parts in memory.
    content = c.content;
    sanitised = sanitiseMessage(next);
  }
  if (req.readReply !== undefined) next.readReport = req.readReply;
  const earliest = when(req.earliestDeliveryTime, now);
  if (earliest !== undefined) {
    if (earliest >= next.expiresAt)
      throw new Refusal('validation-error', `EarliestDeliveryTime ${req.earliestDeliveryTime?.text} is after the message expires`);
    next.earliestDeliveryAt = earliest;
  }
  const service = { ...next.service };
  if (req.serviceCode !== undefined) service.serviceCode = req.serviceCode;
  if (req.contentClass !== undefined) service.contentClass = req.contentClass;
  if (req.drmContent !== undefined) service.drmContent = req.drmContent;
  if (req.distributionIndicator !== undefined) service.distributionIndicator = req.distributionIndicator;
  if (req.content?.allowAdaptations !== undefined) service.allowAdaptations = req.content.allowAdaptations;
  if (Object.keys(service).length > 0) next.service = service;
  // New content is checked as a submission's is (issue 25): a refusal leaves the original as it was.
  if (content && check) {
    const refused = await checkParts(next, content, check.content, check.log);
    if (refused) throw refused;
  }
  const r = await queue.replace(next, content);
  if (r === 'unknown') throw new Refusal('message-not-found', `no message ${req.messageId} of VASP ${vasp.id}`);
  if (r === 'too-late')
    throw new Refusal('too-late', `message ${req.messageId} cannot be replaced: it is delivered, being delivered, or ended`);
  return { code: MM7_CODE.SUCCESS, text: 'Success', sanitised };
}
