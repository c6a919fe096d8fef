import type { MmsPush } from '../../protocols/push/index.js';

/**
 * The tshark (-V) lines that show a WAP push of our m-notification-ind, as [what, exact line]: the WSP Push
 * fields and the MMS headers the notification carries. Shared by the pcap check (conformance/push) and the
 * live capture (conformance/smpp).
 */
export function wspMmseLines(push: MmsPush, tid: number): Array<[string, string]> {
  const n = push.notification;
  const lines: Array<[string, string]> = [
    ['WSP PDU type Push', 'PDU Type: Push (0x06)'],
    [`WSP transaction id 0x${tid.toString(16).padStart(2, '0')}`, `Transaction ID: 0x${tid.toString(16).padStart(2, '0')}`],
    ['WSP content type', 'Content-Type: application/vnd.wap.mms-message'],
    ['WSP X-Wap-Application-Id', 'X-Wap-Application-Id: x-wap-application:mms.ua'],
    ['MMS message type', 'X-Mms-Message-Type: m-notification-ind (0x82)'],
    ['MMS transaction id', `X-Mms-Transaction-ID: ${n.transactionId}`],
    ['MMS version', `X-Mms-MMS-Version: ${n.mmsVersion}`],
    ['MMS message class', 'X-Mms-Message-Class: Personal (0x80)'],
    ['MMS message size', `X-Mms-Message-Size: ${n.messageSize}`],
    ['MMS expiry', `X-Mms-Expiry: ${String(n.expiry)}.000000000 seconds`],
    ['MMS content location', `X-Mms-Content-Location: ${n.contentLocation}`],
  ];
  if (n.from !== undefined) lines.push(['MMS From', `From: ${String(n.from)}`]);
  if (n.subject !== undefined) lines.push(['MMS Subject', `Subject: ${String(n.subject)}`]);
  return lines;
}
