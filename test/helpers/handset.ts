// The simulated handset lives in src/tools/ (it is also `mmsc handset` and the demo's handsets): tests import it from here.
export * from '../../src/tools/handset.js';
