import type { IdempotencyStore, MediaStore } from '../core/ports.js';
import type { SenderEvents } from '../core/sender-events.js';
import type { Config } from '../ops/config.js';
import { uaprofConfig } from '../ops/config-content.js';
import type { Logger } from '../ops/logger.js';
import type { ContentMetrics } from '../ops/metrics-content.js';
import type { OutboundGuard } from '../transport/outbound-guard.js';
import { FfmpegAvAdapter } from './av.js';
import type { CapabilityResolver, HandsetMemory, ProfileSource } from './capabilities.js';
import { StoreHandsetMemory } from './handset-memory.js';
import { InlineImageAdapter } from './image-inline.js';
import { ImageProcess } from './image-process.js';
import { planAdaptation } from './plan.js';
import { ResolvedAdaptation } from './recipient.js';
import { DefaultCapabilityResolver, mm4PeerCaps } from './resolve.js';
import { ContentAdaptation } from './service.js';
import { AdaptError, type AvAdapter, type AvTarget, type PlanAdaptation, type TranscodedMedia } from './types.js';
import { UaProfiles } from './uaprof.js';

/**
 * Audio and video until ffmpeg has been looked for (Gateway.start: detection runs a process, the constructor
 * cannot wait for it): `available` false and no-tool before, the detected adapter after.
 */
export class DeferredAvAdapter implements AvAdapter {
  private av: AvAdapter | undefined;

  get available(): boolean {
    return this.av?.available ?? false;
  }

  /** Detect ffmpeg (content.ffmpegPath), log its encoders in one line, set the gauge. */
  async detect(content: Config['content'], o: { log: Logger; metrics: ContentMetrics }): Promise<void> {
    this.av = await FfmpegAvAdapter.create(content, { logger: o.log, gauge: o.metrics.ffmpegAvailable });
  }

  adapt(bytes: Buffer, contentType: string, target: AvTarget): Promise<TranscodedMedia | 'unchanged'> {
    if (!this.av) return Promise.reject(new AdaptError('no-tool', 'ffmpeg has not been looked for yet'));
    return this.av.adapt(bytes, contentType, target);
  }
}

export interface AdaptationWiring {
  /** What the delivery edges use (MM1 notification and retrieval, MM4 forwards). */
  adapter: ResolvedAdaptation;
  service: ContentAdaptation;
  resolver: CapabilityResolver;
  memory: HandsetMemory;
  profiles: ProfileSource;
  av: DeferredAvAdapter;
  /** The image tool: closed when the gateway stops (content.imageAdapter "process" ends its process). */
  image: ImageProcess | InlineImageAdapter;
}

/** Replacements for tests: a resolver, memory or planner of their own. */
export interface AdaptationOverrides {
  resolver?: CapabilityResolver;
  memory?: HandsetMemory;
  profiles?: ProfileSource;
  plan?: PlanAdaptation;
}

/**
 * Issue 25's pieces, built from the configuration: UAProf documents (through the outbound guard, cached in
 * the store), handset hints, the capability resolver, the tools (sharp, in the image process unless
 * content.imageAdapter is inline; ffmpeg once detected), the planner, and the service that adapts once per
 * (message, capability class).
 */
export function buildAdaptation(
  config: Config,
  deps: {
    media: MediaStore;
    idempotency: IdempotencyStore;
    events: SenderEvents;
    guard: OutboundGuard;
    metrics: ContentMetrics;
    log: Logger;
  },
  overrides: AdaptationOverrides = {},
): AdaptationWiring {
  const log = deps.log.child({ component: 'adapt' });
  const profiles =
    overrides.profiles ??
    new UaProfiles({ store: deps.media, guard: deps.guard, config: uaprofConfig(config.content), metrics: deps.metrics, log });
  const memory = overrides.memory ?? new StoreHandsetMemory(deps.media);
  const resolver =
    overrides.resolver ??
    new DefaultCapabilityResolver({
      content: config.content,
      defaults: { maxMessageBytes: config.mm1.maxMessageBytes, contentTypes: config.mm1.contentTypes },
      peerCaps: mm4PeerCaps(config.mm4.peers),
      profiles,
      memory,
      metrics: deps.metrics,
      log,
    });
  const av = new DeferredAvAdapter();
  const image =
    config.content.imageAdapter === 'inline' ? new InlineImageAdapter() : new ImageProcess({ log, ends: deps.metrics.imageProcessEnds });
  const service = new ContentAdaptation({
    media: deps.media,
    idempotency: deps.idempotency,
    plan: overrides.plan ?? planAdaptation,
    tools: {
      image,
      av,
      minQuality: config.content.jpegMinQuality,
      maxQuality: config.content.jpegMaxQuality,
    },
    metrics: deps.metrics,
    events: deps.events,
    log,
    retentionMs: config.queue.retentionMs,
  });
  return { adapter: new ResolvedAdaptation(resolver, service), service, resolver, memory, profiles, av, image };
}
