import { BudgetMeter } from './budget.js';

describe('budget meter', () => {
  it('stops exactly at the call limit, counting dev calls separately', () => {
    const b = new BudgetMeter({ calls: 3 });
    for (let i = 0; i < 3; i++) {
      expect(b.canCall('train')).toBe(true);
      b.charge('train', {});
      b.charge('dev', {});
    }
    expect(b.canCall('train')).toBe(false);
    expect(b.canCall('dev')).toBe(true);
    expect(() => b.reserve('train')).toThrow('budget exhausted: call budget of 3 spent');
    expect(b.usage()).toMatchObject({ calls: 3, evalCalls: 3 });
    expect(b.remainingCalls()).toBe(0);
  });

  it('counts reservations in flight so concurrent calls cannot overshoot, and never charges twice', () => {
    const b = new BudgetMeter({ calls: 2 });
    const r1 = b.reserve('train');
    const r2 = b.reserve('train');
    expect(() => b.reserve('train')).toThrow(/budget exhausted/);
    b.release(r2); // failed call: not paid
    b.commit(r1, { promptTokens: 10 });
    expect(() => b.commit(r1, {})).toThrow('budget: reservation 1 was already committed or released');
    expect(b.usage().calls).toBe(1);
    expect(b.remainingCalls()).toBe(1);
  });

  it('prices tokens and stops at the token and money limits', () => {
    const b = new BudgetMeter({ costUsd: 0.01, tokens: 10_000 }, { promptPer1k: 0.5, completionPer1k: 1.5 });
    b.charge('train', { promptTokens: 10, completionTokens: 2 }); // (10·0.5 + 2·1.5)/1000 = 0.008
    expect(b.usage().costUsd).toBeCloseTo(0.008, 12);
    expect(b.canCall('train')).toBe(true);
    b.charge('train', { promptTokens: 4, completionTokens: 0 }); // +0.002 → 0.010
    expect(b.canCall('train')).toBe(false);
    const t = new BudgetMeter({ tokens: 100 });
    t.charge('train', { promptTokens: 60, completionTokens: 40 });
    expect(() => t.reserve('train')).toThrow('budget exhausted: token budget of 100 spent');
    // money and tokens bind dev/test calls too (only the call limit is for train calls alone)
    expect(() => t.reserve('dev')).toThrow('budget exhausted: token budget of 100 spent');
    expect(b.canCall('test')).toBe(false);
  });

  it('round-trips its state and refuses a negative limit', () => {
    const b = new BudgetMeter({ calls: 10 });
    b.charge('train', { promptTokens: 5, costUsd: 0.25 });
    b.charge('test', {});
    const c = new BudgetMeter({ calls: 10 });
    c.restore(JSON.parse(JSON.stringify(b.state())));
    expect(c.usage()).toEqual(b.usage());
    expect(() => new BudgetMeter({ calls: -1 })).toThrow('budget.calls: expected a number ≥ 0, got -1');
  });
});
