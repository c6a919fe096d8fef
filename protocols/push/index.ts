/**
 * WAP push of MMS notifications over SMS: the connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1), its WDP/SMS
 * segmentation (WAP-259-WDP §6.5, 3GPP TS 23.040 §9.2.3.24) and the m-notification-ind push built on both.
 */
export { PushError, type PushErrorCode } from './errors.js';
export {
  APPLICATION_ID_MMS_UA,
  DATA_CODING_BINARY,
  ESM_CLASS_UDHI,
  HEADER_X_WAP_APPLICATION_ID,
  MAX_CONCAT_SEGMENTS,
  MAX_USER_DATA_OCTETS,
  PUSH_APPLICATION_IDS,
  WDP_PORT,
  WSP_PDU_TYPE,
  applicationIdCode,
  applicationIdName,
  type PushApplicationName,
} from './tables.js';
export { buildWspPush, parseWspPush, type ParsedWspPush, type WspPush } from './wsp-push.js';
export {
  CONCAT_SEGMENT_OCTETS,
  SINGLE_SEGMENT_OCTETS,
  WAP_PUSH_PORTS,
  pushSegmentCount,
  reassemblePush,
  segmentPush,
  type PushSegment,
  type ReassembleOptions,
  type ReassembledPush,
  type SegmentPushOptions,
  type WdpPorts,
} from './segment.js';
export {
  COMPACT_DROPS,
  MMS_CONTENT_TYPE,
  buildMmsPush,
  mmsWspPush,
  parseMmsPush,
  type CompactField,
  type MmsPush,
  type MmsPushOptions,
  type ParsedMmsPush,
} from './notification.js';
