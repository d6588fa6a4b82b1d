import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';

/**
 * The serial nginx serves for a name, once it is `expected`: a reload is graceful, so for a moment the old
 * workers still answer with the previous certificate.
 */
export async function servedSerial(port: number, name: string, expected: string): Promise<string> {
  let serial = '';
  for (let attempt = 0; attempt < 50 && serial !== expected; attempt += 1) {
    serial = (await served(port, name)).serialNumber;
    if (serial !== expected) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return serial;
}

/** The certificate nginx serves for a name on a port, as a TLS client sees it. */
export function served(port: number, name: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate(true).raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on('error', reject);
  });
}
