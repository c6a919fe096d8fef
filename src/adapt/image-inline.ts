/**
 * Images adapted in the gateway's own process (content.imageAdapter "inline"): sharp is loaded at the first
 * image, so that a gateway that adapts in its image process (src/adapt/image-process.ts) never loads libvips.
 */
import type { ImageAdapter, ImageTarget, TranscodedMedia } from './types.js';

export class InlineImageAdapter implements ImageAdapter {
  private adapter: Promise<ImageAdapter> | undefined;

  adapt(bytes: Buffer, contentType: string, target: ImageTarget): Promise<TranscodedMedia | 'unchanged'> {
    this.adapter ??= import('./image.js').then((m) => new m.SharpImageAdapter());
    return this.adapter.then((a) => a.adapt(bytes, contentType, target));
  }

  close(): void {}
}
