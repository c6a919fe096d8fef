// The SMSC simulator lives in src/tools/ (it is also `mmsc smsc-sim` and the demo's SMSC): tests import it from here.
export * from '../../src/tools/smsc-sim.js';
