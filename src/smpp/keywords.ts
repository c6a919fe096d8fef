/**
 * Opt-out keywords in MO text (CTIA/MMA practice: STOP, UNSUBSCRIBE, ... and START to come back): the
 * whole message, trimmed, case and surrounding punctuation ignored ("Stop.", " stop ", "STOP!"). A word
 * inside a longer text ("please stop sending") is not a keyword: it goes on like any MO text.
 */
export function keywordOf(text: string, stop: readonly string[], start: readonly string[]): 'stop' | 'start' | undefined {
  const word = wordOf(text);
  if (word === undefined) return undefined;
  if (stop.some((k) => k.toUpperCase() === word)) return 'stop';
  if (start.some((k) => k.toUpperCase() === word)) return 'start';
  return undefined;
}

/** The MO text as one keyword (NFKC, trimmed, surrounding punctuation gone, upper case); undefined when it is not one word. */
export function wordOf(text: string): string | undefined {
  const word = text
    .normalize('NFKC')
    .trim()
    .replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, '')
    .toUpperCase();
  return word === '' || /\s/.test(word) ? undefined : word;
}

/** Whether the MO text is one of `keywords` (matched as keywordOf matches). */
export function isKeyword(text: string, keywords: readonly string[]): boolean {
  const word = wordOf(text);
  return word !== undefined && keywords.some((k) => k.toUpperCase() === word);
}
