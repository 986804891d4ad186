/**
 * The run-event stream: every pipeline publishes `RunEvent`s here; sinks (JSONL file, progress display,
 * report) subscribe. Built on an RxJS Subject so consumers can filter, buffer and throttle with operators.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Observable, Subject, type Subscription } from 'rxjs';
import type { Clock, RunEvent } from '@gdfo/spec';

export class RunEventBus {
  private readonly subject = new Subject<RunEvent>();
  readonly events$: Observable<RunEvent> = this.subject.asObservable();
  private closed = false;

  emit(event: RunEvent): void {
    if (!this.closed) this.subject.next(event);
  }

  complete(): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
  }
}

/** An event without the fields every event carries (`specVersion`, `time`, `runId`), per event type. */
export type RunEventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'specVersion' | 'time' | 'runId'> : never) : never;

/** Something events can be emitted to (a `RunEventBus`, or any sink with `emit`). */
export interface EventSink {
  emit(event: RunEvent): void;
}

/**
 * The one place events get stamped: returns `emit(body)` that adds the spec version, the run id and the time
 * from `clock`, and emits to `sink`.
 */
export function eventEmitter(sink: EventSink, runId: string, clock: Clock): (body: RunEventBody) => void {
  return (body) => sink.emit({ specVersion: '1.0', time: clock.now(), runId, ...body } as RunEvent);
}

/** Serializes an event to one JSON line (typed arrays as plain arrays, non-finite numbers as strings). */
export function eventToJson(event: RunEvent): string {
  return JSON.stringify(event, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

/** Appends every event as one line to `path` (created with its directory). */
export function writeEventsJsonl(events$: Observable<RunEvent>, path: string): Subscription {
  mkdirSync(dirname(path), { recursive: true });
  return events$.subscribe((e) => appendFileSync(path, eventToJson(e) + '\n'));
}
