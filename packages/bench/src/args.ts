/** Command-line options of the benches: `--name value` pairs and `--flag` switches, checked against a usage line. */

/** `--name value` from a bench's arguments, or `fallback` when the option is absent. Throws when it has no value. */
export function arg(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name}: expected a value after it`);
  return v;
}

/**
 * `--name 1,2.5`: a non-empty comma list of numbers that each pass `ok`; otherwise one line naming the option and
 * what it expected (`expected`, e.g. "numbers in [0, 1]").
 */
export function numberList(value: string, name: string, ok: (x: number) => boolean, expected: string): number[] {
  const xs = value.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  if (xs.some((x) => !Number.isFinite(x) || !ok(x))) throw new Error(`--${name}: expected a comma list of ${expected}, got "${value}"`);
  return xs;
}

/**
 * The options a usage line names, each with whether it takes a value: `[--seeds 42]` and `--queue redis://…`
 * take one, `[--report-only]` and `[--a | --b]` do not.
 */
export function usageOptions(usage: string): Map<string, boolean> {
  const tokens = usage.replace(/[[\]]/g, ' ').split(/\s+/).filter(Boolean);
  const options = new Map<string, boolean>();
  tokens.forEach((t, i) => {
    if (!/^--[a-z]/.test(t)) return;
    const next = tokens[i + 1];
    options.set(t.slice(2), next !== undefined && !/^--[a-z]/.test(next) && next !== '|');
  });
  return options;
}

/**
 * Throws one line naming the first argument that `usage` (and `internal`) do not allow: an unknown option, an
 * option without its value, or a stray word.
 */
export function checkArgs(bench: string, args: readonly string[], usage: string, internal = ''): void {
  const options = usageOptions(`${usage} ${internal}`);
  const known = () => [...usageOptions(usage).keys()].map((o) => `--${o}`).join(', ') || 'none';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`bench ${bench}: unexpected argument "${a}" (options: ${known()})`);
    const name = a.slice(2);
    const takesValue = options.get(name);
    if (takesValue === undefined) throw new Error(`bench ${bench}: unknown option "${a}" (options: ${known()})`);
    if (takesValue) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`bench ${bench}: ${a} expects a value`);
      i++;
    }
  }
}
