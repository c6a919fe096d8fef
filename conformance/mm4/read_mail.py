#!/usr/bin/env python3
"""Reads one stored e-mail with Python's standard `email` package (a mail reader nobody on this project
wrote) and prints what a mail client would show, as JSON: From, To, Subject (RFC 2047 decoded), and each
leaf part's type, file name, charset and SHA-256 of its decoded bytes (text also as text)."""
import hashlib
import json
import sys
from email import policy
from email.parser import BytesParser

with open(sys.argv[1], 'rb') as f:
    msg = BytesParser(policy=policy.default).parse(f)

parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    data = part.get_payload(decode=True) or b''
    entry = {
        'type': part.get_content_type(),
        'filename': part.get_filename(),
        'disposition': part.get_content_disposition(),
        'sha256': hashlib.sha256(data).hexdigest(),
        'size': len(data),
    }
    if part.get_content_maintype() == 'text':
        entry['text'] = data.decode(part.get_content_charset() or 'us-ascii')
    parts.append(entry)

print(json.dumps({
    'from': str(msg['From']),
    'to': str(msg['To']),
    'subject': str(msg['Subject']),
    'messageId': str(msg['Message-ID']),
    'contentType': msg.get_content_type(),
    'parts': parts,
}))
