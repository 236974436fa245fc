/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums self time per function and per file: the
 * benchmarks print the top entries of the process they measure. Self time is a sample's time
 * charged to the function on top of the stack; its share is of every sample (idle included).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One line of a summary: a function (`name file:line`) or a file, its self time in ms and its share. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Self time per function and per file of a .cpuprofile, heaviest first. `root`: a prefix cut from file names. */
export function selfTimes(
  path: string,
  root = '',
): { totalMs: number; functions: SelfTime[]; files: SelfTime[] } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    const f = byId.get(id)!.callFrame;
    const file = f.url.startsWith(root) ? f.url.slice(root.length) : f.url;
    const fn = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    files.set(file || f.functionName, (files.get(file || f.functionName) ?? 0) + us);
  });
  const sorted = (m: Map<string, number>) =>
    [...m]
      .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, functions: sorted(fns), files: sorted(files) };
}

/** The top `n` lines of a list, as `  1234 ms  12.3%  name`. */
export function formatSelfTimes(list: readonly SelfTime[], n: number): string {
  return list
    .slice(0, n)
    .map((t) => `${t.ms.toFixed(0).padStart(7)} ms ${(100 * t.share).toFixed(1).padStart(5)}%  ${t.name}`)
    .join('\n');
}
