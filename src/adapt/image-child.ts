/**
 * The image process: sharp (libvips) run for the gateway in a process of its own (src/adapt/image-process.ts
 * starts it with fork and the IPC channel). Each request is one part's adaptation; several run at once, as they
 * would in the gateway. It ends when the gateway's end of the channel closes, so it never outlives the gateway,
 * even one killed with SIGKILL.
 */
import { SharpImageAdapter, type SharpImageOptions } from './image.js';
import { fromWire, type ImageAnswer, type ImageRequest } from './image-wire.js';
import { AdaptError } from './types.js';

const send = process.send?.bind(process);
if (!send) throw new Error('image-child runs as a child of the gateway, with an IPC channel (fork)');

const options = JSON.parse(process.argv[2] ?? '{}') as SharpImageOptions;
const adapter = new SharpImageAdapter(options);

async function answer(m: ImageRequest): Promise<ImageAnswer> {
  try {
    const { media, report } = await adapter.adaptWithReport(m.bytes, m.contentType, fromWire(m.target));
    return { id: m.id, ok: true, media, report };
  } catch (err) {
    if (err instanceof AdaptError) return { id: m.id, ok: false, reason: err.reason, message: err.message };
    return { id: m.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

process.on('message', (m: ImageRequest) => {
  void answer(m).then((a) => {
    if (process.connected) send(a);
  });
});
process.on('disconnect', () => process.exit(0));
