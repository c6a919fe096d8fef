// Public API of the SMPP 3.4 codecs the gateway's ESME client needs beside node-smpp: pure, no I/O.
export { COMMAND_ID, commandLabel, isResponseId, type CommandName } from './commands.js';
export { PduReader, headerOf, type Header } from './framing.js';
export { readDeliverSm, type DeliverSm } from './deliver-sm.js';
export { isDeliveryReceipt, parseReceipt, receiptFields, type Receipt } from './receipt.js';
