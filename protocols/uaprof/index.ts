export type { UaProfile } from './model.js';
export { UaProfError } from './model.js';
// -- slot: export { parseUaProf } from './parse.js';
