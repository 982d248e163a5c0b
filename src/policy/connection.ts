import { KeywardError } from '../errors.js';
import type { ConnectionConfig } from '../config/schema.js';

/**
 * Picks the Datadog connection for a call: the one named in `x-keyward-connection`, else the only
 * connection the identity's groups may use. Ambiguity is refused rather than guessed.
 */
export function selectConnection(connections: readonly ConnectionConfig[], groups: readonly string[], requested: string | undefined): ConnectionConfig {
  const allowed = (c: ConnectionConfig) => c.groups.some((g) => groups.includes(g));
  if (requested !== undefined && requested !== '') {
    const named = connections.find((c) => c.name === requested);
    if (!named) throw new KeywardError('connection_unknown');
    if (!allowed(named)) throw new KeywardError('connection_not_allowed');
    return named;
  }
  const candidates = connections.filter(allowed);
  if (candidates.length === 0) throw new KeywardError('connection_none');
  if (candidates.length > 1) throw new KeywardError('connection_ambiguous');
  return candidates[0]!;
}
