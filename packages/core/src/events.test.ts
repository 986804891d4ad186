import type { RunEvent } from '@gdfo/spec';
import { FakeClock } from './clock.js';
import { eventEmitter, eventToJson, RunEventBus } from './events.js';

describe('run events', () => {
  it('eventEmitter stamps spec version, run id and the clock’s time', () => {
    const bus = new RunEventBus();
    const seen: RunEvent[] = [];
    bus.events$.subscribe((e) => seen.push(e));
    const clock = new FakeClock(1234);
    const emit = eventEmitter(bus, 'run-7', clock);
    emit({ type: 'log', level: 'info', message: 'hello' });
    void clock.advance(10);
    emit({ type: 'checkpoint', path: '/tmp/x', calls: 3 });
    expect(seen).toEqual([
      { specVersion: '1.0', time: 1234, runId: 'run-7', type: 'log', level: 'info', message: 'hello' },
      { specVersion: '1.0', time: 1244, runId: 'run-7', type: 'checkpoint', path: '/tmp/x', calls: 3 },
    ]);
    bus.complete();
    emit({ type: 'log', level: 'info', message: 'after the end' });
    expect(seen).toHaveLength(2);
  });

  it('eventToJson writes typed arrays as arrays and non-finite numbers as strings', () => {
    const line = eventToJson({ specVersion: '1.0', time: 0, runId: 'r', type: 'run-end', status: 'completed', result: { z: new Float64Array([1, 2]), dev: NaN } });
    expect(JSON.parse(line)).toEqual({ specVersion: '1.0', time: 0, runId: 'r', type: 'run-end', status: 'completed', result: { z: [1, 2], dev: 'NaN' } });
  });
});
