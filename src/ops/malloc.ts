/**
 * glibc's allocator settings the shipped deployments run the gateway with (deploy/Dockerfile, the systemd
 * unit; docs/deployment.md#memory-allocator), and the benchmarks with them unless told otherwise.
 *
 * Why: the gateway churns through buffers of 64 KB to a few MB (socket reads, Redis replies of a message's
 * content, encoded PDUs). With glibc's defaults, a buffer of 128 KB or more may be mmap'ed and a large free
 * area at the top of the heap is given back to the kernel after every garbage collection, so the next
 * buffers fault their pages in again (the kernel zeroes each page): on the 2-core bench host a 265 KB
 * allocate-and-copy costs 3x what it costs with these settings (docs/benchmarks.md, issue 26, third pass).
 * The price is memory kept rather than returned: RSS ~10-20 % higher under load. glibc reads these at
 * process start only, so they belong in the environment.
 */
export const MALLOC_ENV = {
  /** Allocations below 4 MiB come from the heap, not from mmap (also fixes the dynamic threshold). */
  MALLOC_MMAP_THRESHOLD_: '4194304',
  /** Give the heap's top back to the kernel only when 64 MiB of it are free. */
  MALLOC_TRIM_THRESHOLD_: '67108864',
} as const;
