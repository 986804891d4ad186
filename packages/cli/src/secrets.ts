/**
 * API keys come from the environment, read here (the CLI) and nowhere below: adapters take them as options,
 * and nothing writes them (events, caches, checkpoints and reports hold model ids, never keys).
 */
import { GdfoError } from '@gdfo/core';

/** The value of the environment variable `envName`, or a one-line error naming it. */
export function readApiKey(envName: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new GdfoError('BAD_OPTION', `api key: "${envName}" is not an environment variable name`);
  const value = env[envName]?.trim();
  if (!value) throw new GdfoError('NO_API_KEY', `api key: environment variable ${envName} is not set (export ${envName}=… before running)`);
  return value;
}
