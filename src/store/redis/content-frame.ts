/**
 * A message's parts as one Redis string: written with one SET (with its TTL, so that a write whose enqueue
 * never follows cannot leak) and read with one GET, or with one MGET for a batch of jobs.
 * A string, not a hash of parts: a batch of contents then comes back in a single MGET.
 *
 *   u32be part count N | N × u32be part length | the parts' bytes, in order
 */
const U32 = 4;

export function encodeParts(parts: readonly Buffer[]): Buffer {
  const head = Buffer.allocUnsafe(U32 * (parts.length + 1));
  head.writeUInt32BE(parts.length, 0);
  parts.forEach((part, i) => head.writeUInt32BE(part.length, U32 * (i + 1)));
  return Buffer.concat([head, ...parts]);
}

/** The parts as views into `frame` (no copy); undefined when the frame is not one of ours (corrupt). */
export function decodeParts(frame: Buffer): Buffer[] | undefined {
  if (frame.length < U32) return undefined;
  const n = frame.readUInt32BE(0);
  let at = U32 * (n + 1);
  if (at > frame.length) return undefined;
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = frame.readUInt32BE(U32 * (i + 1));
    if (at + len > frame.length) return undefined;
    parts.push(frame.subarray(at, at + len));
    at += len;
  }
  return at === frame.length ? parts : undefined;
}
