/**
 * From a run's events and results to what the report draws: one trace per method run (generations, dev
 * evaluations, test), and one summary row per method.
 */
import type { EvalEvent, GenerationEvent, RunEvent, RunStartEvent } from '@gdfo/spec';
import type { RunData } from './load.js';

export interface GenerationPoint {
  readonly generation: number;
  readonly calls: number;
  readonly best: number;
  readonly mean: number;
  /** NaN when the strategy has no global step size. */
  readonly sigma: number;
  /** Spearman(student loss, teacher fitness); NaN when not measured. */
  readonly agreement: number;
  /** Cosine(student gradient, strategy step); NaN when not measured. */
  readonly cosine: number;
  readonly distillLoss: number;
}

export interface MethodTrace {
  readonly runId: string;
  readonly method: string;
  /** `run-start`'s config (strategy, harmonizer, dim, ...). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Sorted by generation; when a resumed run repeats a generation, the later event wins. */
  readonly generations: GenerationPoint[];
  /** Dev evaluations sorted by calls (the later event wins at equal calls). */
  readonly dev: { calls: number; value: number; loss: number }[];
  readonly metric: string | undefined;
  readonly test: number | null;
  readonly status: string | undefined;
}

const num = (v: number | undefined) => (typeof v === 'number' ? v : NaN);

/** Groups events by run id (in order of first appearance). */
export function traces(events: readonly RunEvent[]): MethodTrace[] {
  interface Acc {
    runId: string;
    method: string;
    info: Record<string, unknown>;
    gens: Map<number, GenerationPoint>;
    dev: Map<number, { calls: number; value: number; loss: number }>;
    metric: string | undefined;
    test: number | null;
    status: string | undefined;
  }
  const byId = new Map<string, Acc>();
  const acc = (runId: string): Acc => {
    let a = byId.get(runId);
    if (!a) {
      a = { runId, method: runId, info: {}, gens: new Map(), dev: new Map(), metric: undefined, test: null, status: undefined };
      byId.set(runId, a);
    }
    return a;
  };
  for (const e of events) {
    const a = acc(e.runId);
    switch (e.type) {
      case 'run-start': {
        const s = e as RunStartEvent;
        a.method = s.method;
        if (s.config && typeof s.config === 'object' && !Array.isArray(s.config)) a.info = { ...(s.config as Record<string, unknown>) };
        break;
      }
      case 'generation': {
        const g = e as GenerationEvent;
        a.gens.set(g.generation, {
          generation: g.generation,
          calls: g.calls,
          best: g.bestFitness,
          mean: g.meanFitness,
          sigma: num(g.sigma),
          agreement: num(g.agreement),
          cosine: num(g.gradientCosine),
          distillLoss: num(g.distillLoss),
        });
        break;
      }
      case 'eval': {
        const v = e as EvalEvent;
        a.metric = v.metric;
        if (v.split === 'dev') a.dev.set(v.calls, { calls: v.calls, value: v.value, loss: num(v.loss) });
        else a.test = v.value;
        break;
      }
      case 'run-end':
        a.status = e.status;
        break;
      default:
        break;
    }
  }
  return [...byId.values()].map((a) => ({
    runId: a.runId,
    method: a.method,
    info: a.info,
    generations: [...a.gens.values()].sort((x, y) => x.generation - y.generation),
    dev: [...a.dev.values()].sort((x, y) => x.calls - y.calls),
    metric: a.metric,
    test: a.test,
    status: a.status,
  }));
}

export interface SummaryRow {
  readonly method: string;
  readonly metric: string;
  readonly strategy: string;
  readonly harmonizer: string;
  readonly calls: number | null;
  readonly evalCalls: number | null;
  readonly generations: number | null;
  readonly bestTrain: number | null;
  readonly dev: number | null;
  readonly test: number | null;
  readonly stopReason: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const finiteOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One row per method: from result.json when the run finished, else from the events so far. */
export function summaryRows(run: RunData, tr: readonly MethodTrace[] = traces(run.events)): SummaryRow[] {
  const byMethod = new Map(tr.map((t) => [t.method, t]));
  if (run.results) {
    return run.results.map((r) => {
      const t = byMethod.get(r.method);
      return {
        method: r.method,
        metric: r.metric ?? t?.metric ?? '',
        strategy: str(t?.info['strategy']),
        harmonizer: str(t?.info['harmonizer']),
        calls: finiteOrNull(r.calls),
        evalCalls: finiteOrNull(r.evalCalls),
        generations: finiteOrNull(r.generations),
        bestTrain: finiteOrNull(r.bestTrainFitness),
        dev: finiteOrNull(r.dev),
        test: finiteOrNull(r.test),
        stopReason: str(r.stopReason),
      };
    });
  }
  return tr.map((t) => {
    const last = t.generations[t.generations.length - 1];
    const bestTrain = t.generations.reduce((m, g) => (Number.isFinite(g.best) && g.best < m ? g.best : m), Infinity);
    const bestDev = t.dev.reduce((m, d) => (Number.isFinite(d.value) && d.value > m ? d.value : m), -Infinity);
    return {
      method: t.method,
      metric: t.metric ?? '',
      strategy: str(t.info['strategy']),
      harmonizer: str(t.info['harmonizer']),
      calls: last ? last.calls : null,
      evalCalls: null,
      generations: t.generations.length || null,
      bestTrain: Number.isFinite(bestTrain) ? bestTrain : null,
      dev: Number.isFinite(bestDev) ? bestDev : null,
      test: t.test,
      stopReason: t.status ? t.status : 'running (no result.json yet)',
    };
  });
}
