/**
 * The configuration reference (docs/configuration.md), generated from the schema's JSON Schema so that it can
 * never drift from what `parseConfig` accepts. `npm run docs:config` rewrites it; a test checks it is current.
 */
import { configJsonSchema } from './schema.js';

interface JsonSchema {
  /** A list for the keys with a string shorthand (`['object', 'string']`). */
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
}

export interface ReferenceRow {
  /** Dotted key path; `[]` marks list items. */
  key: string;
  type: string;
  /** The default as YAML-ish text, `required`, or `—` (none; see the description). */
  default: string;
  description: string;
}

const isObject = (s: JsonSchema | undefined) => s?.type === 'object' || (Array.isArray(s?.type) && s.type.includes('object'));

function typeText(s: JsonSchema): string {
  if (Array.isArray(s.type)) return s.type.includes('object') && s.type.includes('string') ? `${typeText({ ...s, type: 'object' })} or name` : s.type.join(' | ');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  switch (s.type) {
    case 'integer':
    case 'number': {
      const base = s.type;
      if (s.exclusiveMinimum !== undefined) return `${base} > ${s.exclusiveMinimum}`;
      if (s.minimum !== undefined && s.minimum > -Number.MAX_SAFE_INTEGER) return `${base} ≥ ${s.minimum}`;
      return base;
    }
    case 'string':
      return s.pattern ? 'name' : 'string';
    case 'array':
      return `list of ${s.items ? typeText(s.items) : 'values'}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
    case 'object':
      return s.properties ? 'mapping' : 'mapping (any keys)';
    default:
      return s.type ?? 'any';
  }
}

function defaultText(s: JsonSchema, required: boolean): string {
  if (s.default === undefined) return required ? 'required' : '—';
  if (isObject(s) && s.properties) return '(see keys below)';
  return `\`${JSON.stringify(s.default)}\``;
}

/** Every key of the schema, depth first, in declaration order. */
export function referenceRows(): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const walk = (s: JsonSchema, prefix: string) => {
    const required = new Set(s.required ?? []);
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      rows.push({ key: path, type: typeText(child), default: defaultText(child, required.has(key)), description: child.description ?? '' });
      if (isObject(child) && child.properties) walk(child, path);
      if (child.type === 'array' && isObject(child.items) && child.items?.properties) walk(child.items, `${path}[]`);
    }
  };
  walk(configJsonSchema() as JsonSchema, '');
  return rows;
}

/** An example run config, shown in the reference (a test checks it parses). */
export const EXAMPLE_CONFIG = `# run.yaml — GDFO against BBT on SST-2, 16-shot split of seed 42
task:
  name: sst2
  seed: 42
  k: 16
methods: [manual, bbt, gdfo]
budget: 8000
seed: 7
dim: 500
popSize: 20
strategy:
  name: cma-es
harmonizer:
  name: gradient-sample
distill:
  loss: kd
  steps: 32
  batchSize: 32
teacher:
  kind: local
student:
  kind: local
plugins: [gdfo-plugin-de]
middleware:
  - name: cost-guard
    options: { maxPromptTokensPerCall: 20000 }
evalEvery: 100
checkpointEvery: 10
out: runs
`;

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown configuration reference. */
export function configReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/config/src/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'A run is described by a YAML (`.yaml`, `.yml`) or JSON (`.json`) file: `gdfo run --config run.yaml`.',
    'Command-line flags override the file (`--budget 2000`, `--methods bbt,gdfo`, `--strategy sep-cma-es`,',
    '`--distill.steps 16`). Every key is optional except `task.name` when `task` is given; missing keys take',
    'the defaults below. Keys are strict: an unknown key or a value of the wrong type is refused with one line',
    'naming the file, the line, the key and what was expected, for example',
    '',
    '```text',
    'run.yaml:4: budget: expected a positive integer, got -5',
    'run.yaml:9: distill.stepz: unknown key; did you mean "steps"? expected one of loss, options, steps, batchSize',
    '```',
    '',
    'Component names (`strategy.name`, `harmonizer.name`, `distill.loss`, `teacher.kind`, `student.kind`,',
    '`middleware[].name`) are checked against the registry when the run starts, after `plugins` are loaded,',
    'so a plugin\'s component is used by naming it. `gdfo list` shows what is registered.',
    '',
    '## Example',
    '',
    '```yaml',
    EXAMPLE_CONFIG.trimEnd(),
    '```',
    '',
    '## Keys',
    '',
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...referenceRows().map((r) => `| \`${r.key}\` | ${esc(r.type)} | ${esc(r.default)} | ${esc(r.description)} |`),
    '',
    'A JSON Schema of the same file is in [config.schema.json](config.schema.json) (for editors: the YAML',
    'language server reads it through a `# yaml-language-server: $schema=…` comment).',
    '',
  ];
  return lines.join('\n');
}

/** The JSON Schema text written beside the reference. */
export function configSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}
