/**
 * Waits for a condition the running scenario will make true. Tests wait on what they observe, never
 * on a fixed sleep: on a loaded CI machine a sleep is sometimes too short.
 */
export async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many log lines say `text`; wait for it to grow after a config write to know it was applied. */
export function countLines(logs: () => readonly string[], text: string): number {
  return logs().filter((l) => l.includes(text)).length;
}
