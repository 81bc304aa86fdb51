// What a cluster command is told about the network, checked before it is used: a port is 0–65535
// (0: any free port), a coordinator URL is ws:// or wss:// with a host, and a TLS certificate and
// key are PEM that belong together. Node's own errors (ERR_SOCKET_BAD_PORT, ERR_INVALID_URL,
// ERR_OSSL_*) become ERR_CLI_BAD_ADDRESS and ERR_CLI_BAD_TLS (exit code 2) naming the flag.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CliErrorCode, fail } from '../errors.js';
import { readUserFile } from './user-files.js';

/** Fails unless `port` (from `what`, e.g. '--listen 1.2.3.4:99999') is a TCP port number. */
export function checkPort(what: string, port: number): number {
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    fail(
      CliErrorCode.BAD_ADDRESS,
      `${what}: port ${port} is not a TCP port (0 to 65535; 0 picks a free one)`,
    );
  }
  return port;
}

/** Fails unless `url` (given as `what`, e.g. '--connect') is a ws:// or wss:// URL with a host. */
export function checkWsUrl(what: string, url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (
    parsed === null ||
    (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') ||
    parsed.hostname === ''
  ) {
    fail(
      CliErrorCode.BAD_ADDRESS,
      `${what} '${url}' is not a ws:// or wss:// URL such as ws://10.0.0.5:7070`,
    );
  }
  if (parsed.port !== '') checkPort(`${what} '${url}'`, Number(parsed.port));
  return url;
}

/** The PEM certificate and key files of --tls-cert and --tls-key, checked to parse and to match. */
export function readTlsPair(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  const cert = readUserFile('--tls-cert', certPath);
  const key = readUserFile('--tls-key', keyPath);
  const x509 = parsed('--tls-cert', certPath, 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parsed('--tls-key', keyPath, 'a PEM private key', () => createPrivateKey(key));
  if (!x509.checkPrivateKey(privateKey as KeyObject)) {
    fail(CliErrorCode.BAD_TLS, `--tls-key ${keyPath} is not the private key of --tls-cert ${certPath}`);
  }
  return { cert, key };
}

function parsed<T>(flag: string, path: string, kind: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'a parse error';
    return fail(CliErrorCode.BAD_TLS, `${flag} ${path} is not ${kind} (${code})`, { cause: error });
  }
}
