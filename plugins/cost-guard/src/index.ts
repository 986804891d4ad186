/**
 * gdfo-plugin-cost-guard — a teacher middleware that estimates prompt tokens before each call, refuses
 * requests above a per-call token cap or above a total dollar cap, and keeps (and logs) a spend ledger.
 * Load with `plugins: [gdfo-plugin-cost-guard]` and `middleware: [{ name: cost-guard, options: {...} }]`.
 */
import type { GdfoPlugin, Registry, TeacherMiddleware } from '@gdfo/spec';
import { costGuard, type CostGuardOptions } from './guard.js';

export { CostGuard, costGuard, estimatePromptTokens, type CostGuardOptions, type CostGuardMiddleware, type Spend, type SpendSummary } from './guard.js';

export const name = 'gdfo-plugin-cost-guard';
export const version = '0.1.0';
export const specVersion = '1.0' as const;

export function register(registry: Registry): void {
  registry.register<TeacherMiddleware>(
    'middleware',
    'cost-guard',
    (options) => costGuard(options as CostGuardOptions),
    'refuse teacher requests above maxPromptTokensPerCall (estimated) or maxTotalUsd; ledger, JSONL log, stderr summaries',
  );
}

const plugin: GdfoPlugin = { name, version, specVersion, description: 'Teacher spend guard: per-call token cap, total dollar cap, spend ledger', register };
export default plugin;
