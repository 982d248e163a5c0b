/**
 * Bounded admission for masking work: at most `maxInFlight` bodies at once in total and
 * `maxPerIdentity` for one identity. Pure bookkeeping; acquiring is synchronous, so a refusal is
 * decided the moment a body arrives, never after it has waited.
 */
export interface Admission {
  /** A release function, or null when a limit is reached. Releasing twice is harmless. */
  tryAcquire(identity: string): (() => void) | null;
  inFlight(): number;
}

export function createAdmission(limits: { readonly maxInFlight: number; readonly maxPerIdentity: number }): Admission {
  let total = 0;
  const perIdentity = new Map<string, number>();
  return {
    tryAcquire(identity) {
      const mine = perIdentity.get(identity) ?? 0;
      if (total >= limits.maxInFlight || mine >= limits.maxPerIdentity) return null;
      total++;
      perIdentity.set(identity, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (perIdentity.get(identity) ?? 1) - 1;
        if (left === 0) perIdentity.delete(identity);
        else perIdentity.set(identity, left);
      };
    },
    inFlight: () => total,
  };
}
