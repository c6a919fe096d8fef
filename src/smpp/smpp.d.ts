/**
 * Types for the parts of node-smpp 0.5.1 (`smpp` on npm, CommonJS, ships no types) that the gateway uses:
 * PDU encoding (`new PDU(command, params).toBuffer()`), PDU decoding (`new PDU(buffer)`), and the server side
 * (createServer, Session) the SMSC simulator is built on. Parameter values are `unknown` where the library
 * accepts or returns several shapes: decoding turns short_message / message_payload into
 * `{ udh?: Buffer[]; message: string | Buffer }` (text decoded by data_coding), and the time fields into Dates.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /**
     * Constructor parameters: the SMPP names (source_addr, short_message, ...) of the command's mandatory
     * parameters (lib/defs.js `commands`) and TLVs (lib/defs.js `tlvs`, e.g. message_payload,
     * receipted_message_id, message_state). Integers are numbers; octet strings a Buffer or a string.
     */
    interface PduParams {
      command_status?: number;
      sequence_number?: number;
      [param: string]: unknown;
    }

    class PDU {
      /** A request or response by command name ('submit_sm', 'deliver_sm_resp'...); throws for a name not in lib/defs.js. */
      constructor(command: string, params?: PduParams);
      /**
       * Decodes one whole PDU (command_length octets). Throws on a command_length above PDU.maxLength and on
       * truncated fields; an unknown command_id gives command 'unknown' with the header only.
       */
      constructor(pdu: Buffer);
      /** Largest command_length the library decodes (16384 in 0.5.1). */
      static maxLength: number;

      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      command_length: number;
      /** Decoded parameters and TLVs by SMPP name; see the note above on their shapes. */
      [param: string]: unknown;

      isResponse(): boolean;
      /** The response to this request, same sequence_number (a generic_nack for an unknown command). */
      response(params?: PduParams): PDU;
      /** Encodes (sm_length and command_length computed); with a non-zero command_status, the header only. */
      toBuffer(): Buffer;
    }

    /** One SMPP connection (here: the server's end of an accepted one). Emits 'pdu' and the command's own name. */
    class Session extends EventEmitter {
      readonly socket: Socket;
      /**
       * Writes a PDU; a request without sequence_number gets the next one. `responseCallback` is kept until the
       * response arrives (never timed out, never failed when the connection closes). False when not writable.
       */
      send(pdu: PDU, responseCallback?: (response: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      /** Ends the socket (FIN after pending writes). */
      close(callback?: () => void): void;
      /** Destroys the socket at once. */
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      on(event: 'pdu', listener: (pdu: PDU) => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'close', listener: () => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    /** A net.Server whose accepted connections become Sessions ('session' event). */
    class Server extends NetServer {
      readonly sessions: Session[];
    }

    function createServer(sessionListener?: (session: Session) => void): Server;
  }

  export = smpp;
}
