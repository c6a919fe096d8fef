/**
 * Opt-out keywords in MO text (CTIA/MMA practice: STOP, UNSUBSCRIBE, ... and START to come back): the
 * whole message, trimmed, case and surrounding punctuation ignored ("Stop.", " stop ", "STOP!"). A word
 * inside a longer text ("please stop sending") is not a keyword: it goes on like any MO text.
 */
export function keywordOf(text: string, stop: readonly string[], start: readonly string[]): 'stop' | 'start' | undefined {
  const word = text
    .normalize('NFKC')
    .trim()
    .replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, '')
    .toUpperCase();
  if (word === '' || /\s/.test(word)) return undefined;
  if (stop.some((k) => k.toUpperCase() === word)) return 'stop';
  if (start.some((k) => k.toUpperCase() === word)) return 'start';
  return undefined;
}
