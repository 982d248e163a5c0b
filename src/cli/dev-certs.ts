import { Command } from 'commander';
import { makeDevCertificates } from '../transport/dev-certs.js';

/** `keyward dev certs`: a development CA, keyward's server certificate and Envoy's client certificate. */
export function devCommand(): Command {
  const dev = new Command('dev').description('Development helpers (never for production secrets).');
  dev
    .command('certs')
    .description('make a CA, a server certificate for keyward and a client certificate for Envoy (needs openssl)')
    .requiredOption('--out <dir>', 'folder to write ca.crt, ca.key, server.crt, server.key, envoy.crt, envoy.key')
    .option('--names <list>', 'comma-separated DNS names / IPs of keyward (the first is the server name Envoy checks)', 'keyward,localhost,127.0.0.1,::1')
    .option('--days <n>', 'validity in days', '365')
    .action(async (opts: { out: string; names: string; days: string }) => {
      const made = await makeDevCertificates(opts.out, { serverNames: opts.names.split(',').filter(Boolean), days: Number(opts.days) });
      process.stdout.write(`wrote ${made.ca}, ${made.serverCert}, ${made.serverKey}, ${made.clientCert}, ${made.clientKey} (keys 0600)\n`);
    });
  return dev;
}
