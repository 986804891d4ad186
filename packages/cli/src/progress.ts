/**
 * Progress of a run from its event stream: a bar with ETA, best fitness, dev metric and calls in a TTY;
 * plain lines (one every `every` generations) otherwise; nothing with --quiet; JSON lines with --json.
 */
import type { Observable, Subscription } from 'rxjs';
import type { RunEvent } from '@gdfo/spec';
import { eventToJson } from '@gdfo/core';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'quiet';

export interface ProgressOptions {
  mode: ProgressMode;
  budget: number;
  label: string;
  write?: (s: string) => void;
  now?: () => number;
  /** Plain-line mode: print every n-th generation. */
  every?: number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function progressLine(o: { label: string; calls: number; budget: number; best: number; dev: number | undefined; elapsedMs: number; width?: number }): string {
  const frac = o.budget > 0 ? Math.min(1, o.calls / o.budget) : 0;
  const width = o.width ?? 24;
  const filled = Math.round(frac * width);
  const eta = frac > 0 ? (o.elapsedMs * (1 - frac)) / frac : NaN;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const dev = o.dev === undefined ? '-' : o.dev.toFixed(4);
  return `${o.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% calls ${o.calls}/${o.budget} best ${Number.isFinite(o.best) ? o.best.toFixed(4) : '-'} dev ${dev} eta ${formatDuration(eta)}`;
}

export function attachProgress(events$: Observable<RunEvent>, options: ProgressOptions): Subscription {
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const now = options.now ?? (() => Date.now());
  const start = now();
  let dev: number | undefined;
  let best = NaN;
  let calls = 0;
  const every = options.every ?? 10;
  return events$.subscribe({
    next(e) {
      if (options.mode === 'quiet') return;
      if (options.mode === 'json') {
        write(eventToJson(e) + '\n');
        return;
      }
      if (e.type === 'eval' && e.split === 'dev' && (dev === undefined || e.value > dev)) dev = e.value;
      if (e.type === 'generation') {
        best = e.bestFitness;
        calls = e.calls;
        const line = progressLine({ label: options.label, calls, budget: options.budget, best, dev, elapsedMs: now() - start });
        if (options.mode === 'bar') write(`\r${line}`);
        else if (e.generation % every === 0) write(line + '\n');
      }
      if (e.type === 'run-end' && options.mode === 'bar') write('\n');
    },
  });
}
