// Public API of the SMPP 3.4 codecs the gateway's ESME client needs beside node-smpp: pure, no I/O.
export { PduReader, headerOf, type Header } from './framing.js';
export { readDeliverSm, type DeliverSm } from './deliver-sm.js';
export { isDeliveryReceipt, parseReceipt, receiptFields, type Receipt } from './receipt.js';
