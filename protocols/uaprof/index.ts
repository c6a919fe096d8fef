export type { UaProfile } from './model.js';
export { UaProfError } from './model.js';
export { parseUaProf, type UaProfLimits } from './parse.js';
