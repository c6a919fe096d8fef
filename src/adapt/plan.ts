/**
 * The adaptation planner (issue 25): a message's content made to fit one class of recipients. The MMSC may
 * adapt content to the terminal's capabilities unless the originator forbade it (3GPP TS 23.140 §8.1.10,
 * OMA-TS-MMS_CTR §8.4; MM7 allowAdaptations, MM1 X-Mms-Adaptation-Allowed): then anything that would change
 * is a refusal (`adaptation-forbidden`) and nothing is touched.
 *
 * Order of work:
 *  1. Types the handset does not take are converted by the tools (images by tools.image to JPEG, audio and
 *     video by tools.av when ffmpeg is there), else removed.
 *  2. The byte budget (caps.maxMessageBytes less an estimate of the PDU's headers) goes to text and the SMIL
 *     first (kept whole), then to media smallest first, each given an equal share of what is left: a part
 *     that takes less than its share leaves the rest to the larger ones after it, so the most parts stay.
 *     Images always go through tools.image (it answers `unchanged` when type, resolution and bytes are within);
 *     audio/video only when their type is not taken or they are over their share.
 *  3. Parts that cannot be made to fit are removed and named in ONE short text part.
 *  4. The SMIL is written again to match (plan-smil.ts), or generated for a multipart message without one (more than one part to show);
 *     the message is then multipart/related with type=application/smil and start=<the SMIL's Content-ID>
 *     (RFC 2387 §3.1-3.2; OMA-MMS-CONF v1.2, "MMS SMIL").
 * Pure but for the tools: no I/O, no logging, no clock.
 */
import type { ContentRef, CoreMessage } from '../core/message.js';
import { type Capabilities, capabilityClass, takesType } from './capabilities.js';
import { displayName, humanBytes, kindWord, NOTE_MAX_BYTES, removalText, renameFor } from './plan-names.js';
import { planSmil } from './plan-smil.js';
import {
  AdaptError,
  type AdaptationOutcome,
  type AdaptationResult,
  type AdaptTools,
  type PlanAdaptation,
  type TranscodedMedia,
} from './types.js';

const SMIL = 'application/smil';

/**
 * What the content costs beyond its bytes in the PDU a handset receives (m-retrieve-conf headers, and each
 * part's WSP headers: type, Content-ID, Content-Location): an estimate, so that content that fits the budget
 * makes a message that fits the handset's MmsMaxMessageSize.
 */
export function envelopeBytes(partCount: number): number {
  return 1024 + 96 * partCount;
}

type Kind = 'smil' | 'text' | 'image' | 'av' | 'other';

interface Work {
  orig: ContentRef;
  bytes: Buffer;
  type: string;
  kind: Kind;
  /** The part as it goes (undefined: removed). */
  now?: ContentRef;
  out?: Buffer;
  removed?: string;
}

function mediaType(t: string): string {
  return t.split(';')[0]!.trim().toLowerCase();
}

function kindOf(type: string): Kind {
  if (type === SMIL) return 'smil';
  if (type.startsWith('text/')) return 'text';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/') || type.startsWith('video/')) return 'av';
  return 'other';
}

/** Why a tool's failure removes a part, as the removal text says it. */
function whyOf(e: unknown): string {
  if (e instanceof AdaptError) {
    if (e.reason === 'undecodable') return 'could not be read';
    if (e.reason === 'timeout') return 'could not be converted in time';
    if (e.reason === 'no-tool') return 'not supported by this phone';
  }
  return 'too large for this phone';
}

const TOO_LARGE = 'too large for this phone';
const NOT_TAKEN = 'not supported by this phone';

/** One part through its tool, within `share` bytes. 'unchanged', the new media, or why it was removed. */
async function fitPart(
  w: Work,
  share: number,
  caps: Capabilities,
  tools: AdaptTools,
  takes: (t: string) => boolean,
): Promise<'unchanged' | TranscodedMedia | { removed: string }> {
  const taken = takes(w.type);
  let r: 'unchanged' | TranscodedMedia;
  try {
    if (w.kind === 'image') {
      r = await tools.image.adapt(w.bytes, w.type, {
        maxWidth: caps.maxImageWidth,
        maxHeight: caps.maxImageHeight,
        maxBytes: share,
        takes,
        minQuality: tools.minQuality,
        maxQuality: tools.maxQuality,
      });
    } else if (w.kind === 'av') {
      if (taken && w.bytes.length <= share) return 'unchanged';
      if (!tools.av.available) return { removed: taken ? TOO_LARGE : NOT_TAKEN };
      r = await tools.av.adapt(w.bytes, w.type, { maxBytes: share, maxWidth: caps.maxImageWidth, maxHeight: caps.maxImageHeight, takes });
    } else {
      return taken ? (w.bytes.length <= share ? 'unchanged' : { removed: TOO_LARGE }) : { removed: NOT_TAKEN };
    }
  } catch (e) {
    return { removed: whyOf(e) };
  }
  if (r === 'unchanged') {
    // A tool that calls something unchanged that is not within: the planner's rules still hold.
    if (!taken) return { removed: NOT_TAKEN };
    return w.bytes.length <= share ? 'unchanged' : { removed: TOO_LARGE };
  }
  if (!takes(mediaType(r.contentType))) return { removed: NOT_TAKEN };
  if (r.bytes.length > share) return { removed: TOO_LARGE };
  return r;
}

/** A Content-ID (with brackets) or Content-Location not used by any part yet. */
function unique(base: string, used: Set<string>, wrap: (s: string) => string): string {
  let v = wrap(base);
  for (let k = 1; used.has(v.toLowerCase()); k++) v = wrap(base.replace(/(\.[^.]*)?$/, (ext) => `-${k}${ext}`));
  used.add(v.toLowerCase());
  return v;
}

function refuse(detail: string): AdaptationResult {
  return { ok: false, code: 'adaptation-forbidden', detail: `${detail}, and the originator does not allow adaptation` };
}

/** Whether the message is multipart (either spelling: multipart/related, application/vnd.wap.multipart.mixed). */
function isMultipart(type: string): boolean {
  return /(^|\.|\/)multipart[./]/i.test(type);
}

/** The related type in the message's own spelling (MM4 MIME or the WAP one of MM1/MM7). */
function relatedType(original: string): string {
  return original.toLowerCase().startsWith('multipart/') ? 'multipart/related' : 'application/vnd.wap.multipart.related';
}

function mixedType(original: string): string {
  return original.toLowerCase().startsWith('multipart/') ? 'multipart/mixed' : 'application/vnd.wap.multipart.mixed';
}

/** When the originator forbade adaptation: the first thing that would change, or undefined (it goes as it is). */
async function firstChange(
  works: Work[],
  caps: Capabilities,
  tools: AdaptTools,
  takes: (t: string) => boolean,
): Promise<string | undefined> {
  for (const w of works) if (!takes(w.type)) return `part ${w.orig.index} (${w.type}) is of a type the recipient does not take`;
  const total = works.reduce((s, w) => s + w.bytes.length, 0);
  if (total + envelopeBytes(works.length) > caps.maxMessageBytes)
    return `the message of ${total} bytes is over the recipient's limit of ${caps.maxMessageBytes} bytes`;
  for (const w of works) {
    if (w.kind !== 'image') continue;
    // Resolution: the tool answers unchanged when the image is within (bytes: its own size).
    const r = await fitPart(w, w.bytes.length, caps, tools, takes);
    if (r !== 'unchanged' && !('removed' in r && r.removed === 'could not be read'))
      return `part ${w.orig.index} (${w.type}) is over the recipient's image size of ${caps.maxImageWidth}x${caps.maxImageHeight}`;
  }
  return undefined;
}

/**
 * The original content in the order of the message's parts: an outcome's `content[i]` is the bytes of its
 * `parts[i]`, whose `index` is i (the queue's content is by each part's own index, which a REST form lists
 * out of order).
 */
export function inPartOrder(message: CoreMessage, content: readonly Buffer[]): Buffer[] {
  return message.parts.map((p) => content[p.index] ?? Buffer.alloc(0));
}

export const planAdaptation: PlanAdaptation = async (message, content, caps, tools) => {
  // `content[i]` holds the bytes of the part whose `index` is i (the queue's order), whatever the parts' order.
  if (content.length !== message.parts.length || message.parts.some((p) => content[p.index] === undefined))
    return { ok: false, code: 'format-corrupt', detail: `${message.parts.length} parts but ${content.length} contents` };
  const takes = (t: string) => takesType(caps.contentTypes, t);
  const forbidden = message.service?.allowAdaptations === false;
  const multipart = isMultipart(message.contentType);
  const works: Work[] = message.parts.map((p) => {
    const type = mediaType(p.contentType);
    return { orig: p, bytes: content[p.index]!, type, kind: kindOf(type) };
  });
  const bytesBefore = works.reduce((s, w) => s + w.bytes.length, 0);
  const unchanged = (): AdaptationResult => ({
    ok: true,
    outcome: {
      classKey: capabilityClass(caps),
      contentType: message.contentType,
      ...(message.contentTypeParams ? { contentTypeParams: message.contentTypeParams } : {}),
      parts: message.parts.map((p, i) => ({ ...p, index: i })),
      changed: false,
      changes: [],
      bytesBefore,
      bytesAfter: bytesBefore,
    },
    content: inPartOrder(message, content),
  });

  if (forbidden) {
    const change = await firstChange(works, caps, tools, takes);
    return change === undefined ? unchanged() : refuse(change);
  }

  // The presentation: the message's own SMIL (the first; a multipart message's only), if the handset takes SMIL.
  const smilWork = multipart ? works.find((w) => w.kind === 'smil') : undefined;
  const smilTaken = takes(SMIL);
  const changes: string[] = [];
  for (const w of works) {
    if (w === smilWork && !smilTaken) {
      w.removed = NOT_TAKEN;
    } else if (w.kind === 'text' || w.kind === 'smil') {
      // Text and the SMIL are kept whole (a text type not taken has no tool: removed).
      if (takes(w.type)) {
        w.now = w.orig;
        w.out = w.bytes;
      } else w.removed = NOT_TAKEN;
    }
  }
  const media = works.filter((w) => w.kind === 'image' || w.kind === 'av' || w.kind === 'other');
  const fixedBytes = works.reduce((s, w) => s + (w.now ? w.bytes.length : 0), 0);
  const fitsAsIs = bytesBefore + envelopeBytes(works.length) <= caps.maxMessageBytes && works.every((w) => takes(w.type));
  const willPresent = smilTaken && multipart;
  // Reserved out of the media's budget: a removal text (unless all fits as it is), and what the SMIL to be
  // written may take beyond the one there (an estimate of every part plus the removal slide in our layout).
  const noteReserve = fitsAsIs ? 0 : NOTE_MAX_BYTES;
  const smilEstimate = 400 + 130 * (works.length + 1);
  const smilReserve = willPresent ? Math.max(0, smilEstimate - (smilWork?.bytes.length ?? 0)) : 0;
  const envelope = envelopeBytes(works.length + (smilWork || !willPresent ? 0 : 1) + (fitsAsIs ? 0 : 1));
  let left = caps.maxMessageBytes - envelope - fixedBytes - smilReserve - noteReserve;
  if (left < 0) {
    return {
      ok: false,
      code: 'message-too-large',
      detail: `the text and presentation of the message (${fixedBytes} bytes) are over the recipient's limit of ${caps.maxMessageBytes} bytes`,
    };
  }

  // Media smallest first, each given an equal share of what is left.
  const queue = [...media].sort((a, b) => a.bytes.length - b.bytes.length || a.orig.index - b.orig.index);
  for (let k = 0; k < queue.length; k++) {
    const w = queue[k]!;
    const share = Math.floor(left / (queue.length - k));
    const r = await fitPart(w, share, caps, tools, takes);
    if (r === 'unchanged') {
      w.now = w.orig;
      w.out = w.bytes;
    } else if ('removed' in r) {
      w.removed = r.removed;
      continue;
    } else {
      w.out = r.bytes;
      const type = mediaType(r.contentType);
      const now: ContentRef = { index: w.orig.index, contentType: type, size: r.bytes.length };
      if (w.orig.contentId !== undefined) now.contentId = w.orig.contentId;
      if (w.orig.contentLocation !== undefined) now.contentLocation = renameFor(w.orig.contentLocation, type);
      const name = w.orig.params?.name;
      if (typeof name === 'string') now.params = { name: renameFor(name, type) };
      w.now = now;
      changes.push(`${displayName(w.orig)}: ${r.note}, ${humanBytes(w.bytes.length)} -> ${humanBytes(r.bytes.length)}`);
    }
    left -= w.out.length;
  }

  const removed = works.filter((w) => w.removed !== undefined);
  for (const w of removed) changes.push(`${displayName(w.orig)} (${w.type}, ${humanBytes(w.bytes.length)}): removed, ${w.removed}`);
  const smilRemoved = smilWork !== undefined && smilWork.removed !== undefined;
  // A presentation is generated for several parts to show: one part alone (a text, a picture) needs none.
  const shown = works.filter((w) => w.now && w.kind !== 'smil' && w.kind !== 'other');
  const presentable = shown.length > 1;
  const generate = willPresent && smilWork === undefined && (presentable || removed.length > 0);
  if (changes.length === 0 && !generate) return unchanged();

  // Names: renamed locations must stay unique; parts without a name get a Content-ID the SMIL can use.
  const usedLoc = new Set<string>();
  const usedCid = new Set<string>();
  for (const w of works) {
    if (w.now?.contentId !== undefined) usedCid.add(w.now.contentId.toLowerCase());
    if (w.now === w.orig && w.now.contentLocation !== undefined) usedLoc.add(w.now.contentLocation.toLowerCase());
  }
  for (const w of works) {
    if (w.now && w.now !== w.orig && w.now.contentLocation !== undefined)
      w.now = { ...w.now, contentLocation: unique(w.now.contentLocation, usedLoc, (s) => s) };
  }
  let note: { ref: ContentRef; bytes: Buffer } | undefined;
  if (removed.length > 0) {
    const bytes = Buffer.from(
      removalText(removed.map((w) => ({ kind: kindWord(w.type), name: displayName(w.orig), size: w.bytes.length, why: w.removed! }))),
      'utf8',
    );
    const ref: ContentRef = {
      index: -1,
      contentType: 'text/plain',
      params: { charset: 'utf-8' },
      contentId: unique('removed', usedCid, (s) => `<${s}>`),
      contentLocation: unique('removed.txt', usedLoc, (s) => s),
      size: bytes.length,
    };
    note = { ref, bytes };
    changes.push(`added: text "${bytes.toString('utf8')}"`);
  }

  // The presentation, written again or generated.
  const presenting = willPresent && !smilRemoved && (smilWork !== undefined || generate);
  let smilOut: { ref: ContentRef; bytes: Buffer; at: number } | undefined;
  if (presenting) {
    const srcOf = (p: ContentRef) =>
      p.contentLocation !== undefined ? p.contentLocation : `cid:${encodeURI(p.contentId!.replace(/^<|>$/g, ''))}`;
    for (const w of works) {
      if (w.now && w.now.contentId === undefined && w.now.contentLocation === undefined)
        w.now = { ...w.now, contentId: unique(`part${w.orig.index}`, usedCid, (s) => `<${s}>`) };
    }
    const plan = planSmil(
      message.parts,
      works.map((w) => w.now),
      smilWork?.bytes,
      note?.ref,
      { width: caps.maxImageWidth, height: caps.maxImageHeight },
      srcOf,
    );
    const at = smilWork ? works.indexOf(smilWork) : 0;
    const ref: ContentRef = smilWork
      ? { ...smilWork.orig, size: plan.bytes.length }
      : {
          index: -1,
          contentType: SMIL,
          contentId: unique('smil', usedCid, (s) => `<${s}>`),
          contentLocation: unique('presentation.smil', usedLoc, (s) => s),
          size: plan.bytes.length,
        };
    if (!smilWork?.orig.contentId) ref.contentId ??= unique('smil', usedCid, (s) => `<${s}>`);
    smilOut = { ref, bytes: plan.bytes, at };
    if (plan.unreadable) changes.push(`presentation (SMIL) unreadable (${plan.unreadable}): generated anew, ${plan.slides} slides`);
    else changes.push(`presentation (SMIL) ${smilWork ? 'written again' : 'generated'}: ${plan.slides} slides`);
  }

  // The parts in order: the SMIL where it was (a generated one first), the removal text last.
  const order: { ref: ContentRef; bytes: Buffer }[] = [];
  for (const w of works) {
    if (smilOut && w === smilWork) order.push(smilOut);
    else if (w.now && w.out) order.push({ ref: w.now, bytes: w.out });
  }
  if (smilOut && !smilWork) order.unshift(smilOut);
  if (note) order.push(note);
  const parts = order.map((o, k) => ({ ...o.ref, index: k, size: o.bytes.length }));
  const out = order.map((o) => o.bytes);
  const bytesAfter = out.reduce((s, b) => s + b.length, 0);
  if (bytesAfter + envelopeBytes(parts.length) > caps.maxMessageBytes) {
    return {
      ok: false,
      code: 'message-too-large',
      detail: `the message adapted is still ${bytesAfter} bytes, over the recipient's limit of ${caps.maxMessageBytes} bytes`,
    };
  }

  let contentType: string;
  let contentTypeParams: Record<string, string | number> | undefined;
  if (smilOut) {
    contentType = relatedType(message.contentType);
    contentTypeParams = { type: SMIL, start: smilOut.ref.contentId! };
  } else if (multipart) {
    contentType = smilRemoved ? mixedType(message.contentType) : message.contentType;
    contentTypeParams = smilRemoved ? undefined : message.contentTypeParams;
  } else if (parts.length === 1) {
    contentType = parts[0]!.contentType;
  } else {
    contentType = 'application/vnd.wap.multipart.mixed';
  }
  const outcome: AdaptationOutcome = {
    classKey: capabilityClass(caps),
    contentType,
    ...(contentTypeParams ? { contentTypeParams } : {}),
    parts,
    changed: true,
    changes,
    bytesBefore,
    bytesAfter,
  };
  return { ok: true, outcome, content: out };
};

/** The message with an outcome's parts and type (for the callers that build a PDU from a CoreMessage). */
export function adaptedMessage(message: CoreMessage, outcome: AdaptationOutcome): CoreMessage {
  const m: CoreMessage = { ...message, contentType: outcome.contentType, parts: outcome.parts };
  if (outcome.contentTypeParams) m.contentTypeParams = outcome.contentTypeParams;
  else delete m.contentTypeParams;
  return m;
}
