/**
 * Which refusals of a source get a log line: at most one per source per window. The others are counted and
 * reported in the next line for that source (`suppressed`), so that a scanner hammering an exposed port
 * writes one line a minute per address, not one per request, and the count is still there.
 *
 * At most `maxSources` sources are remembered, the one whose last line is oldest dropped first (with any
 * count it had: its next refusal is logged at once, without it). A Map keeps insertion order, and a source
 * is re-inserted at each line, so its first key is that oldest one.
 */
export class RefusalLog {
  private readonly sources = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly o: { windowMs: number; maxSources: number; now: () => number }) {}

  /** A refusal from `source`: what its log line carries, or undefined when it is only counted (a line went out within the window). */
  note(source: string): { suppressed: number } | undefined {
    const now = this.o.now();
    const seen = this.sources.get(source);
    if (seen && now - seen.at < this.o.windowMs) {
      seen.suppressed++;
      return undefined;
    }
    this.sources.delete(source);
    this.sources.set(source, { at: now, suppressed: 0 });
    if (this.sources.size > this.o.maxSources) this.sources.delete(this.sources.keys().next().value!);
    return { suppressed: seen?.suppressed ?? 0 };
  }

  /** Sources remembered now (tests). */
  get size(): number {
    return this.sources.size;
  }
}
