/**
 * Names the planner writes: a part's display name, sizes for people, file extensions after a conversion
 * (photo.png -> photo.jpg), and the one short text that says what was removed.
 */
import type { ContentRef } from '../core/message.js';

/** Extension of each media type the tools produce (and the usual other spellings kept as they are). */
const EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe'],
  'image/gif': ['gif'],
  'image/png': ['png'],
  'video/mp4': ['mp4', 'm4v'],
  'video/3gpp': ['3gp', '3gpp'],
  'audio/amr': ['amr'],
  'audio/mp4': ['m4a', 'mp4'],
  'audio/aac': ['aac'],
  'audio/mpeg': ['mp3'],
};

/** `name` with the extension of `type` when its own is another (photo.png -> photo.jpg); unchanged otherwise. */
export function renameFor(name: string, type: string): string {
  const exts = EXTENSIONS[type];
  if (!exts) return name;
  const m = /^(.*)\.([A-Za-z0-9]{1,5})$/.exec(name);
  if (!m || m[1] === '') return name;
  if (exts.includes(m[2]!.toLowerCase())) return name;
  return `${m[1]}.${exts[0]}`;
}

/** Bytes for people: 812 bytes, 287 KB, 5.2 MB (1 KB = 1024 bytes). */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** What a part is called in a change line and in the removal text: its file name, else `part N`. */
export function displayName(p: ContentRef): string {
  const name = p.contentLocation ?? (typeof p.params?.name === 'string' ? p.params.name : undefined);
  // A name from the sender goes into a text the handset shows: control characters out, length bounded.
  const clean = name?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 60);
  return clean !== undefined && clean !== '' ? clean : `part ${p.index}`;
}

/** The kind of a media type, as the removal text names it. */
export function kindWord(type: string): string {
  const top = type.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' || top === 'text' ? top : 'file';
}

/** Largest removal text, in bytes: it must fit where the removed parts did not. */
export const NOTE_MAX_BYTES = 320;

/**
 * The short text that replaces the parts that could not be made to fit (issue 25): "Removed: video clip.mp4
 * (5.2 MB), too large for this phone; image photo.heic (1.1 MB), could not be read". At most NOTE_MAX_BYTES
 * of UTF-8: names that do not fit are counted ("and 3 more").
 */
export function removalText(removed: readonly { kind: string; name: string; size: number; why: string }[]): string {
  const items = removed.map((r) => `${r.kind} ${r.name} (${humanBytes(r.size)}), ${r.why}`);
  let text = 'Removed: ';
  for (let k = 0; k < items.length; k++) {
    const rest = items.length - k - 1;
    const tail = rest > 0 ? `; and ${rest} more` : '';
    const next = `${k === 0 ? '' : '; '}${items[k]}`;
    if (Buffer.byteLength(text + next + tail) > NOTE_MAX_BYTES) return `${text}${k === 0 ? '' : '; '}and ${items.length - k} more`;
    text += next;
  }
  return text;
}
