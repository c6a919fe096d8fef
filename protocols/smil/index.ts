export { buildSmil, DEFAULT_SLIDE_DUR, elementFor, isClockValue, slidesFor } from './build.js';
export type { SmilElement, SmilErrorCode, SmilLayout, SmilLimits, SmilMedia, SmilPresentation, SmilSlide } from './model.js';
export { SmilError } from './model.js';
export { DEFAULT_SMIL_LIMITS, readSmil, smilRefs } from './parse.js';
export { type RefTarget, refFor, resolveRef } from './refs.js';
