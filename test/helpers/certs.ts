// Certificates for TLS tests, made with the openssl CLI into a temporary directory: a CA, server
// certificates for 127.0.0.1, and client certificates it signs (P-256 keys: fast to make).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export interface CertFiles {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as openssl prints it (AB:CD:...). */
  fingerprint256: string;
}

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  /** A certificate for 127.0.0.1 and localhost, signed by the CA; `name` is its CN. */
  server(name: string): CertFiles;
  /** A client certificate (extendedKeyUsage clientAuth) signed by the CA, or by a CA of its own when `foreign`. */
  client(cn: string, foreign?: boolean): CertFiles;
  /**
   * The files a listener is configured with (live.crt, live.key), holding `first`'s certificate and key;
   * renew(c) copies another's over them, as a renewal (certbot) does before SIGHUP.
   */
  live(first: CertFiles): { certFile: string; keyFile: string; renew(c: Pick<CertFiles, 'cert' | 'key'>): void };
}

function openssl(dir: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A self-signed certificate and its key (P-256), written to `dir` as <name>.crt and <name>.key. */
export function selfSigned(dir: string, name: string, cn: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
  );
  return { cert, key };
}

export function makePki(t: Test): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = selfSigned(dir, 'ca', 'mmsc test CA');
  let other: { cert: string; key: string } | undefined;
  const leaf = (name: string, cn: string, ext: string, signer: { cert: string; key: string }): CertFiles => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.crt`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, `${ext}\n`);
    openssl(
      dir,
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      signer.cert,
      '-CAkey',
      signer.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      extFile,
    );
    const fp = openssl(dir, 'x509', '-noout', '-fingerprint', '-sha256', '-in', cert).trim().split('=')[1]!;
    return { cert, key, fingerprint256: fp };
  };
  return {
    dir,
    ca: ca.cert,
    caKey: ca.key,
    server: (name) => leaf(`server-${name}`, name, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth', ca),
    client: (cn, foreign = false) => {
      if (foreign) other ??= selfSigned(dir, 'other-ca', 'some other CA');
      return leaf(`client-${cn}${foreign ? '-foreign' : ''}`, cn, 'extendedKeyUsage=clientAuth', foreign ? other! : ca);
    },
    live: (first) => {
      const certFile = join(dir, 'live.crt');
      const keyFile = join(dir, 'live.key');
      const renew = (c: Pick<CertFiles, 'cert' | 'key'>): void => {
        copyFileSync(c.cert, certFile);
        copyFileSync(c.key, keyFile);
      };
      renew(first);
      return { certFile, keyFile, renew };
    },
  };
}
