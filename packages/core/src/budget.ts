/**
 * Budget meter: teacher calls, tokens and money, counted separately, with hard limits.
 *
 * Calls go through reserve → commit | release. A reservation counts against the call limit while in flight,
 * so concurrent calls can never overshoot; a call is charged once, at commit, with the usage the provider
 * reported. 'dev'/'test' calls are counted in `evalCalls` and never charged against the limits (BBT's rule).
 */
import type { Budget, BudgetLimits, BudgetUsage, ScoreRequest, StateValue, Usage } from '@gdfo/spec';
import { BudgetExhaustedError, GdfoError } from './errors.js';

type Purpose = ScoreRequest['purpose'];

export interface PriceTable {
  /** US dollars per 1,000 prompt tokens. */
  readonly promptPer1k: number;
  /** US dollars per 1,000 completion tokens. */
  readonly completionPer1k: number;
}

export interface Reservation {
  readonly id: number;
  readonly purpose: Purpose;
}

export class BudgetMeter implements Budget {
  readonly specVersion = '1.0' as const;
  private calls = 0;
  private evalCalls = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private costUsd = 0;
  private inFlight = new Map<number, Purpose>();
  private nextId = 1;

  constructor(
    readonly limits: BudgetLimits = {},
    readonly prices?: PriceTable,
  ) {
    for (const key of ['calls', 'tokens', 'costUsd'] as const) {
      const v = limits[key];
      if (v !== undefined && !(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) {
        throw new GdfoError('BAD_BUDGET', `budget.${key}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
      }
    }
  }

  usage(): BudgetUsage {
    return {
      calls: this.calls,
      evalCalls: this.evalCalls,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      costUsd: this.costUsd,
    };
  }

  private reservedTrain(): number {
    let n = 0;
    for (const p of this.inFlight.values()) if (p === 'train') n++;
    return n;
  }

  remainingCalls(): number {
    if (this.limits.calls === undefined) return Infinity;
    return Math.max(0, this.limits.calls - this.calls - this.reservedTrain());
  }

  /**
   * Why no call of this purpose may start, or undefined when one may. The call limit binds 'train' calls only
   * (BBT counts dev evaluations separately); token and money limits bind every call — money is money.
   */
  exhaustedReason(purpose: Purpose = 'train'): string | undefined {
    const { calls, tokens, costUsd } = this.limits;
    if (purpose === 'train' && calls !== undefined && this.calls + this.reservedTrain() >= calls) return `call budget of ${calls} spent`;
    if (tokens !== undefined && this.promptTokens + this.completionTokens >= tokens) return `token budget of ${tokens} spent`;
    if (costUsd !== undefined && this.costUsd >= costUsd) return `cost budget of $${costUsd} spent`;
    return undefined;
  }

  canCall(purpose: Purpose): boolean {
    return this.exhaustedReason(purpose) === undefined;
  }

  /** Claims the right to make one call; throws BudgetExhaustedError when the limits forbid it. */
  reserve(purpose: Purpose): Reservation {
    const why = this.exhaustedReason(purpose);
    if (why) throw new BudgetExhaustedError(`budget exhausted: ${why}`);
    const id = this.nextId++;
    this.inFlight.set(id, purpose);
    return { id, purpose };
  }

  /** Charges a reserved call exactly once. */
  commit(reservation: Reservation, usage: Partial<Usage> = {}): void {
    if (!this.inFlight.delete(reservation.id)) {
      throw new GdfoError('DOUBLE_CHARGE', `budget: reservation ${reservation.id} was already committed or released`);
    }
    this.apply(reservation.purpose, usage);
  }

  /** Gives a reservation back without charging (the call failed and will not be paid for). */
  release(reservation: Reservation): void {
    this.inFlight.delete(reservation.id);
  }

  charge(purpose: Purpose, usage: Partial<Usage>): void {
    this.commit(this.reserve(purpose), usage);
  }

  private apply(purpose: Purpose, usage: Partial<Usage>): void {
    const n = usage.calls ?? 1;
    if (purpose === 'train') this.calls += n;
    else this.evalCalls += n;
    const pt = usage.promptTokens ?? 0;
    const ct = usage.completionTokens ?? 0;
    this.promptTokens += pt;
    this.completionTokens += ct;
    const cost =
      usage.costUsd ?? (this.prices ? (pt * this.prices.promptPer1k + ct * this.prices.completionPer1k) / 1000 : 0);
    this.costUsd += cost;
  }

  state(): StateValue {
    return { ...this.usage() };
  }

  restore(state: StateValue): void {
    const s = state as unknown as BudgetUsage;
    for (const k of ['calls', 'evalCalls', 'promptTokens', 'completionTokens', 'costUsd'] as const) {
      if (typeof s?.[k] !== 'number') throw new GdfoError('BAD_STATE', `budget state: field "${k}" must be a number`);
    }
    this.calls = s.calls;
    this.evalCalls = s.evalCalls;
    this.promptTokens = s.promptTokens;
    this.completionTokens = s.completionTokens;
    this.costUsd = s.costUsd;
    this.inFlight.clear();
  }
}
