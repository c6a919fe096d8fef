import { findPart, hrefMatch, stripAngles, type MimeEntity, type PartSink, type StreamOptions } from '../../protocols/mime/index.js';
import { Mm7Error, parseMm7, type Mm7Limits, type Mm7Message, type ReplaceReq, type SubmitReq } from '../../protocols/mm7/index.js';
import type { VaspConfig } from '../ops/config.js';
import type { ContentStage, Queue } from '../core/ports.js';
import { HeldStage } from './held-stage.js';
import type { SubmitClaim, SubmitRetries } from './submit-retry.js';

/**
 * Bytes of the parts that arrive before the SOAP part kept in memory, all such parts together: beyond it they
 * go to a stage. Far below the body limit, and a whole MMS of the common size classes (OMA MMS CONF: 100 KB
 * and 300 KB) fits, so a small content-first request is read exactly as a SOAP-first one.
 */
export const EARLY_HOLD_BYTES = 256 * 1024;

export interface ContentStreamerOptions {
  queue: Queue;
  vasp: VaspConfig;
  /** The id of the message a SubmitReq becomes when its content follows the SOAP part (the usual order). */
  messageId: string;
  /** The id it becomes when its content came before the SOAP part and went to a stage then. */
  earlyMessageId: string;
  /** TTL of the stages (longer than a request may take). */
  ttlMs: number;
  /** The envelope's limits; maxBytes is enforced while the SOAP part arrives. */
  xml: Required<Mm7Limits>;
  /** Recognises a VASP's retried SubmitReq: its content is staged under the first request's Message-ID. */
  retries?: SubmitRetries;
}

/** A leaf that arrived before the SOAP part: held in memory until there are too many such bytes, then staged. */
interface EarlyLeaf {
  part: MimeEntity;
  chunks: Buffer[];
  done: boolean;
  /** Its writer into the early stage, once the early bytes went there. */
  out: Writer | undefined;
}

interface Writer {
  write(b: Buffer): void;
  end(): void;
}

/**
 * Streams the content leaves of a SubmitReq (or a ReplaceReq) into a queue stage while the request arrives,
 * so that a large message never sits whole in memory, whatever order its parts come in.
 *
 * - The SOAP part (the `start` part of RFC 2387, else the first) is kept in memory up to the envelope limit,
 *   checked as it arrives: a larger one is refused without reading on (4004).
 * - Once it is complete, it is parsed when the next part's headers arrive; if it is a SubmitReq or ReplaceReq
 *   with Content, the leaves under the first entity the Content href names go to a stage (in order: the
 *   message's parts; for a ReplaceReq a 'replacement' stage of the message it names) and any other leaf is
 *   dropped unread, as is every later leaf of any other request.
 * - Leaves before the SOAP part (content-first VASPs) cannot be placed yet: they are held in memory up to
 *   EARLY_HOLD_BYTES, all of them together, and beyond that written in order to a stage of their own, made
 *   for a SubmitReq under `earlyMessageId`. That stage is the message's content when the leaves under the
 *   Content href are exactly those leaves (a SubmitReq whose content came first, the only layout seen);
 *   any other use of a staged early leaf is refused (2007), since its bytes are no longer here.
 * Bytes over the VASP's message size are not written (the submission is refused 2004).
 *
 * A SubmitReq's stage after the SOAP part is made under the Message-ID its TransactionID claims (`claim`: a
 * retry's is the first request's, SubmitRetries), so its parts wait for the claim in a HeldStage. The early
 * stage cannot wait (its envelope is not there yet): it is claimed for once the envelope is read.
 */
export class ContentStreamer {
  accepted = false;
  /** The claim of a SubmitReq whose content streams after its envelope (made when its first content part starts). */
  claim: Promise<SubmitClaim> | undefined;
  private stage: ContentStage | undefined;
  private envelope: SubmitReq | ReplaceReq | null | undefined; // undefined: not seen yet; null: no content to stream
  private envelopePart: MimeEntity | undefined;
  /** What parsing envelopePart gave, whatever the operation: it is parsed once per request. */
  private parsed: Mm7Message | Mm7Error | undefined;
  private contentRoot: MimeEntity | undefined;
  private readonly early: EarlyLeaf[] = [];
  private earlyHeld = 0;
  private earlyStage: ContentStage | undefined;
  /** The early stage is the message's content (stageFor). */
  private adopted = false;
  /** The stage (this.stage or this.earlyStage) stageFor gave the message: the only one an accepted message took. */
  private handed: ContentStage | undefined;
  /** Parts whose body this streamer filled in (the parser marked them streamed). */
  private readonly kept: MimeEntity[] = [];
  private storeError: unknown;
  /** A refusal decided while streaming (an envelope over its limit): the parse fails, the request is answered with it. */
  refusal: Mm7Error | undefined;
  readonly options: StreamOptions;

  constructor(private readonly o: ContentStreamerOptions) {
    this.options = {
      leaf: (part, ancestors) => this.leaf(part, ancestors),
      drain: async () => {
        try {
          await this.stage?.drain();
          await this.earlyStage?.drain();
        } catch (err) {
          this.storeError = err;
          throw err;
        }
      },
    };
  }

  /** The id the SubmitReq's message gets: the one its content was staged under. */
  get messageId(): string {
    return this.adopted ? this.o.earlyMessageId : this.o.messageId;
  }

  failed(err: unknown): boolean {
    return this.storeError !== undefined && err === this.storeError;
  }

  private leaf(part: MimeEntity, ancestors: readonly MimeEntity[]): PartSink | undefined {
    const root = ancestors[0]!;
    if (this.envelope === undefined) this.envelope = this.earlyEnvelope(root);
    if (this.envelope === undefined) return isStart(part, ancestors) ? this.holdEnvelope(part) : this.holdEarly(part);
    if (this.envelope === null) return DROP;
    const env = this.envelope;
    const href = env.content!.href;
    // findPart's order: depth first, an ancestor before its descendants; a Content-ID before a Content-Location.
    if (!this.contentRoot) this.contentRoot = [...ancestors.slice(1), part].find((e) => hrefMatch(e, href) !== undefined);
    if (!this.contentRoot || (this.contentRoot !== part && !ancestors.includes(this.contentRoot))) return DROP;
    this.stage ??= env.kind === 'SubmitReq' ? this.submitStage(env) : this.o.queue.stage(env.messageId, this.o.ttlMs, 'replacement');
    return this.writer(this.stage);
  }

  private submitStage(env: SubmitReq): ContentStage {
    if (!this.o.retries) return this.o.queue.stage(this.o.messageId, this.o.ttlMs);
    this.claim = this.o.retries.claim(this.o.vasp.id, env, this.o.messageId);
    return new HeldStage(this.claim.then((c) => this.o.queue.stage(c.messageId, this.o.ttlMs)));
  }

  /** A part of the stage that stops writing (but not counting: the parser counts) at the VASP's message size. */
  private writer(stage: ContentStage): Writer {
    const out = stage.part();
    const max = this.o.vasp.maxMessageBytes;
    let over = false;
    return {
      write: (b) => {
        // Counted but not written once over the VASP's limit: the size check refuses it with 2004.
        if (over || stage.bytes + b.length > max) {
          over = true;
          return;
        }
        out.write(b);
      },
      end: () => out.end(),
    };
  }

  /** The SOAP part, kept (a copy: the parser hands views) up to the envelope limit. */
  private holdEnvelope(part: MimeEntity): PartSink {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const max = this.o.xml.maxBytes;
    return {
      write: (b) => {
        bytes += b.length;
        if (bytes > max) throw (this.refusal = new Mm7Error('TOO_LARGE', `SOAP envelope over ${max} bytes`));
        chunks.push(Buffer.from(b));
      },
      end: () => {
        part.body = Buffer.concat(chunks, bytes);
        this.kept.push(part);
      },
    };
  }

  /** A leaf before the SOAP part: held while the early bytes are few, staged once they are not. */
  private holdEarly(part: MimeEntity): PartSink {
    const leaf: EarlyLeaf = { part, chunks: [], done: false, out: this.earlyStage ? this.writer(this.earlyStage) : undefined };
    this.early.push(leaf);
    return {
      write: (b) => {
        if (leaf.out) return leaf.out.write(b);
        leaf.chunks.push(Buffer.from(b));
        this.earlyHeld += b.length;
        if (this.earlyHeld > EARLY_HOLD_BYTES) this.stageEarly();
      },
      end: () => {
        leaf.done = true;
        leaf.out?.end();
      },
    };
  }

  /** Too many early bytes: every early leaf so far goes to the early stage, in order (the last one still open). */
  private stageEarly(): void {
    const stage = this.o.queue.stage(this.o.earlyMessageId, this.o.ttlMs);
    this.earlyStage = stage;
    for (const leaf of this.early) {
      leaf.out = this.writer(stage);
      for (const c of leaf.chunks) leaf.out.write(c);
      leaf.chunks = [];
      if (leaf.done) leaf.out.end();
    }
    this.earlyHeld = 0;
  }

  /**
   * After a complete parse: the parts kept here get their bodies as the parser would have (early leaves
   * that were never staged included), and lose the parser's streamed mark.
   */
  settle(): void {
    for (const part of this.kept) delete part.streamedBytes;
    if (this.earlyStage) return;
    for (const leaf of this.early) {
      leaf.part.body = Buffer.concat(leaf.chunks);
      leaf.chunks = [];
      delete leaf.part.streamedBytes;
    }
  }

  /** The envelope, once the SOAP part is complete: null when it is not a SubmitReq/ReplaceReq with Content (or unreadable). */
  private earlyEnvelope(root: MimeEntity): SubmitReq | ReplaceReq | null | undefined {
    const parts = root.parts ?? [];
    const id = startId(root);
    const soap = id === '' ? parts[0] : parts.find((p) => p.contentId === id);
    if (!soap?.body) return undefined; // not arrived (or not complete) yet
    this.envelopePart = soap;
    try {
      const msg = parseMm7(soap.body, this.o.xml);
      this.parsed = msg;
      return (msg.kind === 'SubmitReq' || msg.kind === 'ReplaceReq') && msg.content ? msg : null;
    } catch (err) {
      if (err instanceof Mm7Error) this.parsed = err; // answered with it once the request is read
      return null;
    }
  }

  /**
   * The envelope parsed while streaming, if it came from `part` (a refusal of it is thrown again): one
   * request costs one parse, whatever its operation or fault.
   */
  envelopeOf(part: MimeEntity): Mm7Message | undefined {
    if (part !== this.envelopePart) return undefined;
    if (this.parsed instanceof Mm7Error) throw this.parsed;
    return this.parsed;
  }

  /** Why the content `msg` names cannot be had, when part of it went to the early stage and is not its whole content. */
  misplaced(msg: Mm7Message, root: MimeEntity | undefined): string | undefined {
    if (!this.earlyStage || !root || (msg.kind !== 'SubmitReq' && msg.kind !== 'ReplaceReq') || !msg.content) return undefined;
    const top = findPart(root, msg.content.href);
    if (!top) return undefined; // names nothing: contentOf says so
    const leaves = leavesOf(top);
    if (!leaves.some((l) => this.early.some((e) => e.part === l))) return undefined; // content after the SOAP part
    if (msg.kind === 'SubmitReq' && this.isEarly(leaves)) return undefined;
    return `the parts before the SOAP envelope (over ${EARLY_HOLD_BYTES} bytes) are taken only as the whole Content of a SubmitReq; send the envelope first`;
  }

  /** The stage for this SubmitReq or ReplaceReq, when its content was streamed and findPart agrees on the part streamed. */
  stageFor(msg: Mm7Message, root: MimeEntity | undefined): ContentStage | undefined {
    if ((msg.kind !== 'SubmitReq' && msg.kind !== 'ReplaceReq') || !msg.content || !root) return undefined;
    const top = findPart(root, msg.content.href);
    if (this.earlyStage && msg.kind === 'SubmitReq' && top && this.isEarly(leavesOf(top))) {
      this.adopted = true;
      return (this.handed = this.earlyStage);
    }
    if (!this.stage || top !== this.contentRoot) return undefined;
    const stage = this.stage instanceof HeldStage ? this.stage.stage : this.stage;
    if (stage) this.handed = this.stage;
    return stage;
  }

  /** Whether `leaves` are exactly the early leaves, in order (what the early stage holds). */
  private isEarly(leaves: readonly MimeEntity[]): boolean {
    return leaves.length === this.early.length && leaves.every((l, i) => l === this.early[i]!.part);
  }

  /**
   * The request is answered: every stage but the accepted message's is dropped. A stage stageFor did not give
   * is not the message's even when it was accepted: e.g. two parts answer to the Content href, findPart takes
   * one held in memory before the SOAP part, and the stage of the other would be left to its TTL.
   */
  async release(): Promise<void> {
    const kept = this.accepted ? this.handed : undefined;
    for (const stage of [this.stage, this.earlyStage]) if (stage && stage !== kept) await stage.discard();
  }
}

/** A leaf that is not content: read and dropped. */
const DROP: PartSink = { write: () => undefined, end: () => undefined };

function startId(root: MimeEntity): string {
  const start = root.contentType.params['start'];
  return start === undefined ? '' : stripAngles(start);
}

/** Whether `part` is where the SOAP envelope is (RFC 2387 §3.2: the `start` part, else the first), as far as its headers tell. */
function isStart(part: MimeEntity, ancestors: readonly MimeEntity[]): boolean {
  if (ancestors.length !== 1) return false;
  const root = ancestors[0]!;
  const id = startId(root);
  return id === '' ? root.parts?.[0] === part : part.contentId === id;
}

function leavesOf(e: MimeEntity, out: MimeEntity[] = []): MimeEntity[] {
  if (e.parts) for (const p of e.parts) leavesOf(p, out);
  else out.push(e);
  return out;
}
