import { CLUSTER_HEADER } from '../../src/envoy/contract.js';
import { DATADOG_SITES, clusterName, siteHost, type HostRole } from '../../src/config/sites.js';
import { startDevIssuer, type DevIssuer } from '../../dev/dev-issuer.js';
import { startFakeDatadog, type FakeDatadog } from '../../dev/fake-datadog.js';
import { startFrontDoor, type FrontDoor } from '../../dev/front-door.js';
import { envoyYamlFrontDoor, type UpstreamCluster } from '../../dev/options.js';
import type { GateOptions } from '../../src/gate.js';
import { KEYS, startTestGate, type TestGate } from './gate.js';

export interface Stack {
  issuer: DevIssuer;
  datadog: FakeDatadog;
  tg: TestGate;
  door: FrontDoor;
  /** A token for an agent, ready for the authorization header. */
  bearer(subject: string, groups: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Every Datadog cluster of envoy.yaml, pointed at the fake Datadog with the real host names. */
export function fakeClusters(url: string): Record<string, UpstreamCluster> {
  const clusters: Record<string, UpstreamCluster> = {};
  for (const site of DATADOG_SITES) {
    for (const role of ['api', 'logs', 'events'] as HostRole[]) clusters[clusterName(site, role)] = { url, hostRewrite: siteHost(site, role) };
  }
  return clusters;
}

/**
 * The whole path as in production, minus Envoy: agent → front door (Envoy's filter semantics) →
 * keyward ext_authz + ext_proc over gRPC → fake Datadog, with a real issuer.
 */
export async function startStack(config: (issuer: string) => Record<string, unknown>, extra: Partial<GateOptions> = {}, transport: { tls?: boolean } = {}): Promise<Stack> {
  const issuer = await startDevIssuer();
  const datadog = await startFakeDatadog({ apiKeys: [KEYS.prodApi, KEYS.euApi], appKeys: [KEYS.prodApp, KEYS.euApp] });
  // The approvals page reads an update's current object from Datadog: here, the fake.
  const tg = await startTestGate(config(issuer.issuer), { currentObject: { origin: () => datadog.url }, ...extra }, transport);
  // As envoy/envoy.yaml wires Envoy; a loaded CI machine gets 5 s per ext_proc message instead of 3.
  const wired = envoyYamlFrontDoor('127.0.0.1:0', tg.gate.authzAddress, tg.gate.procAddress, fakeClusters(datadog.url), CLUSTER_HEADER, tg.tls);
  const door = await startFrontDoor({ ...wired, extProc: { ...wired.extProc!, messageTimeoutMs: 5_000 } });
  return {
    issuer,
    datadog,
    tg,
    door,
    bearer: async (subject, groups) => `Bearer ${await issuer.mint({ subject, groups })}`,
    async stop() {
      await door.close();
      await tg.stop();
      await datadog.close();
      await issuer.close();
    },
  };
}
