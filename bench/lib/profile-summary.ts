/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function and by
 * package, so a missed target names what dominates. Usage: tsx bench/lib/profile-summary.ts FILE [N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(profile: Profile, top = 25): { byFunction: [string, number][]; byPackage: [string, number][] } {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    if (!t) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/(src|bench)\//, '$1/');
    const name = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + t);
    const group = url === '' ? `(${functionName || 'native'})` : url.startsWith('node:') ? 'node core' : /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ?? where.split('/').slice(0, 2).join('/');
    pkg.set(group, (pkg.get(group) ?? 0) + t);
  }
  const pct = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round((v / total) * 1000) / 10] as [string, number]);
  return { byFunction: pct(fn), byPackage: pct(pkg) };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [N]');
  const { byFunction, byPackage } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25));
  console.log('self time by package (%):');
  for (const [k, v] of byPackage) console.log(`  ${String(v).padStart(5)}  ${k}`);
  console.log('self time by function (%):');
  for (const [k, v] of byFunction) console.log(`  ${String(v).padStart(5)}  ${k}`);
}
