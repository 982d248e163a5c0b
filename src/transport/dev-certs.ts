import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DevCertificateOptions {
  /** DNS names and IPs the server certificate holds (Envoy's SNI/SAN check uses the first DNS name). */
  serverNames?: readonly string[];
  /** Name in the client (Envoy) certificate. */
  clientName?: string;
  days?: number;
}

export interface DevCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A development CA and the two certificates keyward's gRPC ports need: the server's (presented by
 * keyward, checked by Envoy against the CA and server name) and Envoy's client certificate
 * (presented by Envoy, required by keyward). Made with the openssl command line because Node's
 * crypto can make keys but cannot issue X.509 certificates, and the README shows operators the
 * same openssl steps. Private keys are written 0600.
 */
export async function makeDevCertificates(dir: string, options: DevCertificateOptions = {}): Promise<DevCertificates> {
  const names = options.serverNames ?? ['keyward', 'localhost', '127.0.0.1', '::1'];
  const days = String(options.days ?? 365);
  const client = options.clientName ?? 'envoy';
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  await run('openssl', ['req', '-x509', ...EC, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', days, '-subj', '/CN=keyward development CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await issue('server', `/CN=${names[0]}`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n`);
  await issue('envoy', `/CN=${client}`, `subjectAltName=DNS:${client}\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n`);
  for (const f of ['ca.key', 'server.key', 'envoy.key']) chmodSync(p(f), 0o600);
  return { dir, ca: p('ca.crt'), caKey: p('ca.key'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('envoy.crt'), clientKey: p('envoy.key') };

  async function issue(name: string, subject: string, extensions: string): Promise<void> {
    writeFileSync(p(`${name}.ext`), extensions);
    await run('openssl', ['req', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', subject]);
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`, '-days', days, '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`)]);
    rmSync(p(`${name}.csr`));
    rmSync(p(`${name}.ext`));
  }
}
