import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Metrics of content validation, handset capabilities and adaptation (issue 25, docs/adaptation.md). Labels
 * are enums only: never a profile URL, a User-Agent or an address.
 */
export class ContentMetrics {
  /** Parts refused at intake because their bytes are not their declared type, or of a type not allowed. */
  readonly refusals: Counter<'iface' | 'reason'>;
  /** Adaptations carried out (cache hits are not adaptations), by result: adapted, unchanged, refused, failed. */
  readonly adaptations: Counter<'result'>;
  /** Lookups of an adaptation for a (message, capability class): hit (stored), miss (adapted here), wait (another did it). */
  readonly cache: Counter<'result'>;
  /** CPU-bound time of one adaptation step, by kind: image, audio, video, message (the whole plan). */
  readonly seconds: Histogram<'kind'>;
  /** Bytes adapted messages are smaller than their originals, summed. */
  readonly bytesSaved: Counter;
  /** UAProf documents: ok, cached, failed, timeout, too-large, malformed, refused (by the outbound guard). */
  readonly uaprofFetches: Counter<'result'>;
  /** Where a recipient's capabilities came from: route, uaprof, user-agent, default. */
  readonly capabilitySources: Counter<'source'>;
  /** 1 when ffmpeg was found at start (audio and video adaptation on), else 0. */
  readonly ffmpegAvailable: Gauge;
  /** Ends of the image process the gateway did not ask for: crash, overdue (src/adapt/image-process.ts). */
  readonly imageProcessEnds: Counter<'cause'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.refusals = new Counter({
      name: 'mmsc_content_refusals_total',
      help: 'Submissions refused for a part whose bytes are not its declared type (type-mismatch) or of a type not allowed (type-not-allowed), by interface',
      labelNames: ['iface', 'reason'] as const,
      registers,
    });
    this.adaptations = new Counter({
      name: 'mmsc_adaptations_total',
      help: 'Content adaptations carried out for a capability class, by result (adapted, unchanged, refused, failed)',
      labelNames: ['result'] as const,
      registers,
    });
    this.cache = new Counter({
      name: 'mmsc_adaptation_cache_total',
      help: 'Adaptation lookups per recipient, by result (hit: reused; miss: adapted here; wait: adapted by another)',
      labelNames: ['result'] as const,
      registers,
    });
    this.seconds = new Histogram({
      name: 'mmsc_adaptation_seconds',
      help: 'Time of one adaptation step, by kind (image, audio, video, message)',
      labelNames: ['kind'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.bytesSaved = new Counter({
      name: 'mmsc_adaptation_saved_bytes_total',
      help: 'Bytes by which adapted messages are smaller than their originals',
      registers,
    });
    this.uaprofFetches = new Counter({
      name: 'mmsc_uaprof_fetches_total',
      help: 'UAProf document lookups, by result (ok, cached, failed, timeout, too-large, malformed, refused)',
      labelNames: ['result'] as const,
      registers,
    });
    this.capabilitySources = new Counter({
      name: 'mmsc_capability_sources_total',
      help: "Recipients' capabilities resolved, by the source that decided them (route, uaprof, user-agent, default)",
      labelNames: ['source'] as const,
      registers,
    });
    this.ffmpegAvailable = new Gauge({
      name: 'mmsc_ffmpeg_available',
      help: '1 when ffmpeg was found at start (audio and video adaptation), else 0',
      registers,
    });
    this.imageProcessEnds = new Counter({
      name: 'mmsc_image_process_ends_total',
      help: 'Ends of the image process the gateway did not ask for, by cause (crash; overdue: killed for a request past its deadline)',
      labelNames: ['cause'] as const,
      registers,
    });
  }
}
