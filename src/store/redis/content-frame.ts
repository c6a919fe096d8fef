/**
 * A message's parts as one Redis string: read with one GET, or with one MGET for a batch of jobs (a string,
 * not a hash of parts, so that a batch of contents comes back in a single MGET). The part index is a
 * trailer, so that a frame can be written front to back while the parts are still arriving (APPEND,
 * content-stage.ts) as well as in one SET:
 *
 *   the parts' bytes, in order | N × u32be part length | u32be part count N
 */
const U32 = 4;

/** The trailer of a frame whose parts have these lengths. */
export function frameTrailer(lengths: readonly number[]): Buffer {
  const t = Buffer.allocUnsafe(U32 * (lengths.length + 1));
  lengths.forEach((len, i) => t.writeUInt32BE(len, U32 * i));
  t.writeUInt32BE(lengths.length, U32 * lengths.length);
  return t;
}

/** Bytes of the frame of `parts`. */
export function frameLength(parts: readonly Buffer[]): number {
  let size = U32 * (parts.length + 1);
  for (const p of parts) size += p.length;
  return size;
}

/** Writes the frame of `parts` into `target` at `offset` (frameLength(parts) bytes): the parts copied once. */
export function writeFrame(parts: readonly Buffer[], target: Buffer, offset = 0): void {
  let at = offset;
  for (const p of parts) at += p.copy(target, at);
  frameTrailer(parts.map((p) => p.length)).copy(target, at);
}

export function encodeParts(parts: readonly Buffer[]): Buffer {
  const frame = Buffer.allocUnsafe(frameLength(parts));
  writeFrame(parts, frame);
  return frame;
}

/** The parts as views into `frame` (no copy); undefined when the frame is not one of ours (corrupt, or cut short). */
export function decodeParts(frame: Buffer): Buffer[] | undefined {
  if (frame.length < U32) return undefined;
  const n = frame.readUInt32BE(frame.length - U32);
  const index = frame.length - U32 * (n + 1);
  if (index < 0) return undefined;
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const len = frame.readUInt32BE(index + U32 * i);
    if (at + len > index) return undefined;
    parts.push(frame.subarray(at, at + len));
    at += len;
  }
  return at === index ? parts : undefined;
}
