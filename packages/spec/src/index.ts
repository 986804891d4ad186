/**
 * @gdfo/spec — the contracts of gdfo. Types only: this package has no runtime code and no dependencies.
 *
 * Every contract object carries `specVersion` so that a plugin or a checkpoint written against another
 * version of these contracts is refused with a clear message instead of misbehaving.
 */

/** Version of these contracts. Bumped on any breaking change to a type below. */
export type SpecVersion = '1.0';

// ---------------------------------------------------------------------------------------------------------
// Serializable state
// ---------------------------------------------------------------------------------------------------------

/** A value that a checkpoint can hold: JSON plus typed arrays (stored as binary beside the JSON). */
export type StateValue =
  | null
  | boolean
  | number
  | string
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | readonly StateValue[]
  | { readonly [key: string]: StateValue };

/** Anything whose state can be captured and put back bit-for-bit. */
export interface Checkpointable<S extends StateValue = StateValue> {
  /** A snapshot that shares no mutable memory with the live object. */
  state(): S;
  /** Restores a snapshot taken by `state()` of an object built with the same options. */
  restore(state: S): void;
}

/** Seeded random number generator. */
export interface Rng extends Checkpointable {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  gaussian(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** An independent generator derived deterministically from this one's seed and `label`. */
  fork(label: string): Rng;
}

// ---------------------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------------------

export interface Example {
  /** Unique within its split. */
  readonly id: string;
  /** First (or only) sentence. */
  readonly text: string;
  /** Second sentence of a sentence-pair task. */
  readonly textB?: string;
  /** Class id, 0-based, indexes `Verbalizer.words`. */
  readonly label: number;
}

/**
 * A cloze template with exactly one mask slot. Placeholders: `{text}`, `{textB}`, `{mask}`.
 * Example (SST-2, BBT): `"{text} . It was {mask} ."`.
 */
export interface Template {
  readonly specVersion: SpecVersion;
  readonly text: string;
}

/** One word per class; the teacher's score for class c is its logit of `words[c]` at the mask. */
export interface Verbalizer {
  readonly specVersion: SpecVersion;
  readonly words: readonly string[];
}

export type MetricName = 'accuracy' | 'f1' | 'macro-f1';

export interface Task {
  readonly specVersion: SpecVersion;
  readonly name: string;
  /** Human-readable class names, index = label id. */
  readonly classes: readonly string[];
  readonly template: Template;
  readonly verbalizer: Verbalizer;
  readonly metric: MetricName;
  readonly train: readonly Example[];
  readonly dev: readonly Example[];
  readonly test?: readonly Example[];
  /** Where the data came from, for reports. */
  readonly source?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Prompts and prompt spaces
// ---------------------------------------------------------------------------------------------------------

export type PromptKind = 'none' | 'continuous-shallow' | 'continuous-deep' | 'discrete-text';

/** No prompt: the bare template (the manual-prompt floor). */
export interface NoPrompt {
  readonly kind: 'none';
}

/**
 * A continuous prompt at the embedding layer: `length` vectors of `width` (row-major `values`).
 * `add`: added to the embedding output at `length` positions after `[CLS]` (BBT's default);
 * `cat`: prepended after `[CLS]` as extra positions.
 */
export interface ContinuousShallowPrompt {
  readonly kind: 'continuous-shallow';
  readonly mode: 'add' | 'cat';
  readonly length: number;
  readonly width: number;
  readonly values: Float32Array;
}

/** One prompt per layer, added to the hidden states at the prompt positions before each layer (BBTv2). */
export interface ContinuousDeepPrompt {
  readonly kind: 'continuous-deep';
  readonly layers: number;
  readonly length: number;
  readonly width: number;
  /** layers × length × width, row-major. */
  readonly values: Float32Array;
}

/** A text prompt for text-only APIs: placed before the template text. */
export interface DiscreteTextPrompt {
  readonly kind: 'discrete-text';
  readonly text: string;
  /** The chosen candidate per slot, when the prompt came from a slot space. */
  readonly slots?: readonly string[];
}

export type Prompt = NoPrompt | ContinuousShallowPrompt | ContinuousDeepPrompt | DiscreteTextPrompt;

/** Maps a point z of the search space to the prompt the teacher receives. */
export interface PromptSpace {
  readonly specVersion: SpecVersion;
  readonly kind: PromptKind;
  /** Dimension of z (BBT: 500). */
  readonly dim: number;
  toTeacher(z: Float64Array): Prompt;
  /** For a linear space (BBT's p0 + A·z): A, so that a student can tie its prompt generator to it. */
  readonly linear?: LinearProjection;
}

/** The matrix A of a linear prompt space: the teacher's prompt is p0 + A·z, L positions of `width`. */
export interface LinearProjection {
  /** rows × dim, row-major; rows = length × width. */
  readonly matrix: Float32Array;
  readonly rows: number;
  readonly dim: number;
  /** Prompt positions L and the teacher's embedding width. */
  readonly length: number;
  readonly width: number;
  /** The std A's entries were drawn with (BBT: σ̂ / √d). */
  readonly std: number;
}

// ---------------------------------------------------------------------------------------------------------
// Teacher (black box)
// ---------------------------------------------------------------------------------------------------------

export interface Usage {
  /** Teacher calls (one call = one pass over the scored examples with one prompt). */
  readonly calls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Money, in US dollars, from a price table. */
  readonly costUsd: number;
}

export interface TeacherInfo {
  /** Model id, part of every cache key. */
  readonly id: string;
  readonly accepts: readonly PromptKind[];
  /** Width of the continuous prompt vectors (embedding width). */
  readonly width?: number;
  /** Number of layers a deep prompt must cover. */
  readonly layers?: number;
  /** Longest prompt (positions) the model accepts. */
  readonly maxPromptLength?: number;
  /** Longest input (tokens, template and prompt included) the model reads; longer texts are cut to fit. */
  readonly maxInputTokens?: number;
  /**
   * Scales for BBT's projection: std of the word-embedding entries (`embedding`) and, for deep prompts,
   * of each layer's input hidden states (`hidden[l]`, l = 0 is the embedding output).
   */
  readonly scale?: { readonly embedding: number; readonly hidden?: readonly number[] };
}

export interface ScoreRequest {
  readonly examples: readonly Example[];
  readonly template: Template;
  readonly verbalizer: Verbalizer;
  readonly prompt: Prompt;
  /** 'train' calls are charged to the budget; 'dev'/'test' are counted separately. */
  readonly purpose: 'train' | 'dev' | 'test';
}

export interface ScoreResult {
  /** rows × classes, row-major: the teacher's score (logit or log-probability) of each verbalizer word. */
  readonly logits: Float32Array;
  readonly rows: number;
  readonly classes: number;
  /** What the call cost, when the provider reports it. */
  readonly usage?: Partial<Usage>;
  /** True when the result came from a cache (nothing was paid). */
  readonly cached?: boolean;
}

export interface CallOptions {
  /** Aborting it cuts the call: requests in flight are dropped (a provider may still bill them). */
  readonly signal?: AbortSignal;
  /**
   * Aborting it stops the call without cutting it: nothing new is sent, requests already in flight finish and
   * what they return is kept (a row-level store keeps it for the retry or the resume), then the call rejects
   * with the signal's reason. How a generation stops its other calls when one fails.
   */
  readonly stop?: AbortSignal;
}

/** A black-box model: scores, never gradients. */
export interface Teacher {
  readonly specVersion: SpecVersion;
  readonly info: TeacherInfo;
  score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult>;
  close?(): Promise<void>;
}

/** Wraps a teacher with extra behaviour (cache, retry, rate limit, budget...). */
export type TeacherMiddleware = (inner: Teacher) => Teacher;

// ---------------------------------------------------------------------------------------------------------
// Student (white box)
// ---------------------------------------------------------------------------------------------------------

export interface StudentInfo {
  readonly id: string;
  /** Dimension of z the student's prompt generator takes. */
  readonly dim: number;
  readonly classes: number;
  /** Number of trainable scalars. */
  readonly parameters: number;
}

/**
 * A minibatch of distillation data: `rows` pairs (z, example), each with the teacher's logits.
 * Row r uses point `zIndex[r]` of `z` and example `exampleIndex[r]` of `examples`.
 */
export interface DistillBatch {
  /** count × dim, row-major: the distinct points z in this batch. */
  readonly z: Float64Array;
  readonly count: number;
  readonly examples: readonly Example[];
  readonly zIndex: Int32Array;
  readonly exampleIndex: Int32Array;
  /** rows × classes teacher logits, row-major (rows = zIndex.length). */
  readonly teacherLogits: Float32Array;
}

export interface StudentTrainResult {
  /** Mean loss over the batch before the update. */
  readonly loss: number;
}

export interface GradientResult {
  readonly loss: number;
  /** ∇_z of the loss, length dim. */
  readonly grad: Float64Array;
}

/**
 * A small differentiable model that sees the prompt P_S(z) = q + B·z through a trainable prompt generator.
 * All tensors cross this boundary as typed arrays; the implementation may use any autodiff library.
 */
export interface Student extends Checkpointable {
  readonly specVersion: SpecVersion;
  readonly info: StudentInfo;
  /** Class logits for `count` points z on `examples`: count × examples.length × classes. */
  predict(z: Float64Array, count: number, examples: readonly Example[]): Promise<Float32Array>;
  /** One optimizer step of the trainable parameters on `loss` over `batch`. */
  trainStep(batch: DistillBatch, loss: DistillationLoss): Promise<StudentTrainResult>;
  /** Task loss of the student at z on labelled examples and its gradient with respect to z. */
  gradient(z: Float64Array, examples: readonly Example[], loss: DistillationLoss): Promise<GradientResult>;
  /**
   * Called by a method with its search space before the student's first use; a student whose prompt
   * generator is tied to the space (e.g. to a linear space's A) refuses a space it cannot use, in one line.
   */
  bindSpace?(space: PromptSpace): void;
  dispose?(): void;
}

// ---------------------------------------------------------------------------------------------------------
// Losses
// ---------------------------------------------------------------------------------------------------------

/**
 * A loss between student logits s, teacher logits t and labels y (rows × classes, row-major).
 * `value` is the exact reference computation on numbers (mean over rows); implementations in an autodiff
 * library expose the same function on their own tensors through `tensor`, typed by that library.
 */
export interface DistillationLoss<TTensor = unknown> {
  readonly specVersion: SpecVersion;
  readonly name: string;
  /** Hyperparameters, for reports and cache keys. */
  readonly params: Readonly<Record<string, number | string>>;
  /** Whether the loss reads the teacher logits (false for CE / hinge against labels only). */
  readonly usesTeacher: boolean;
  value(student: Float32Array, teacher: Float32Array | null, labels: Int32Array, classes: number): number;
  tensor?(student: TTensor, teacher: TTensor | null, labels: TTensor): TTensor;
}

// ---------------------------------------------------------------------------------------------------------
// Optimizers (derivative-free strategies)
// ---------------------------------------------------------------------------------------------------------

export interface Candidate {
  readonly x: Float64Array;
  readonly f: number;
}

/** Why a strategy wants to stop. */
export type TerminationReason =
  | 'maxfevals'
  | 'maxiter'
  | 'ftarget'
  | 'tolfun'
  | 'tolx'
  | 'tolstagnation'
  | 'conditioncov'
  | 'noeffectaxis'
  | 'noeffectcoord'
  | 'tolupsigma'
  | 'converged';

/**
 * Ask/tell minimizer over Float64Array. `tell` receives the points actually evaluated, which may differ from
 * those asked (an injected gradient sample, a screened subset), in any order; non-finite fitness ranks last.
 */
export interface Optimizer extends Checkpointable {
  readonly specVersion: SpecVersion;
  readonly name: string;
  readonly dim: number;
  /** Points evaluated per generation. */
  readonly popSize: number;
  readonly generation: number;
  readonly evaluations: number;
  /** Best point told so far. */
  readonly best: Candidate | undefined;
  /** The next points to evaluate (default: popSize of them). */
  ask(count?: number): Float64Array[];
  tell(points: readonly Float64Array[], fitness: readonly number[]): void;
  /** Reasons to stop now; empty while the run should go on. */
  stop(): TerminationReason[];
}

/** An optimizer with a search distribution centred at a mean with a global step size (CMA-ES, ES, ...). */
export interface MeanBasedOptimizer extends Optimizer {
  mean(): Float64Array;
  readonly sigma: number;
  /** Moves the distribution's centre (used by harmonizers such as mean-shift). */
  setMean(mean: Float64Array): void;
}

export interface OptimizerOptions {
  readonly dim: number;
  readonly rng: Rng;
  readonly x0?: Float64Array;
  readonly sigma0?: number;
  readonly popSize?: number;
  readonly bounds?: { readonly lower: Float64Array | number; readonly upper: Float64Array | number };
  readonly maxEvaluations?: number;
  /** Strategy-specific options. */
  readonly options?: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------------------
// Budget
// ---------------------------------------------------------------------------------------------------------

export interface BudgetLimits {
  readonly calls?: number;
  readonly tokens?: number;
  readonly costUsd?: number;
}

export interface BudgetUsage {
  /** Charged teacher calls ('train' purpose). */
  readonly calls: number;
  /** Dev/test evaluations: counted, reported, not charged. */
  readonly evalCalls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
}

export interface Budget extends Checkpointable {
  readonly specVersion: SpecVersion;
  readonly limits: BudgetLimits;
  usage(): BudgetUsage;
  /** Calls that can still be made before the limit (Infinity when unlimited). */
  remainingCalls(): number;
  /** Whether a call of this purpose may start now. */
  canCall(purpose: ScoreRequest['purpose']): boolean;
  /** Records a completed call; never called twice for one request. */
  charge(purpose: ScoreRequest['purpose'], usage: Partial<Usage>): void;
}

// ---------------------------------------------------------------------------------------------------------
// Run events
// ---------------------------------------------------------------------------------------------------------

interface EventBase {
  readonly specVersion: SpecVersion;
  /** Milliseconds since the epoch, from the run's clock. */
  readonly time: number;
  readonly runId: string;
}

export interface RunStartEvent extends EventBase {
  readonly type: 'run-start';
  readonly method: string;
  readonly config: StateValue;
  /** Compute backend, e.g. 'wasm'. */
  readonly backend?: string;
}

export interface GenerationEvent extends EventBase {
  readonly type: 'generation';
  readonly generation: number;
  readonly calls: number;
  readonly bestFitness: number;
  readonly meanFitness: number;
  readonly sigma?: number;
  /** Spearman(student loss, teacher fitness) on the new candidates before the student trains on them. */
  readonly agreement?: number;
  /** Cosine between ∇_z of the student loss and the step the strategy took. */
  readonly gradientCosine?: number;
  readonly distillLoss?: number;
  /** Cost charged to the budget so far in USD, when the teacher reports one (remote providers). */
  readonly costUsd?: number;
}

export interface EvalEvent extends EventBase {
  readonly type: 'eval';
  readonly split: 'dev' | 'test';
  readonly calls: number;
  readonly metric: MetricName;
  readonly value: number;
  readonly loss?: number;
  /** True when this is the best dev score so far. */
  readonly improved: boolean;
}

export interface CheckpointEvent extends EventBase {
  readonly type: 'checkpoint';
  readonly path: string;
  readonly calls: number;
}

export interface LogEvent extends EventBase {
  readonly type: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
}

export interface RunEndEvent extends EventBase {
  readonly type: 'run-end';
  readonly status: 'completed' | 'stopped' | 'failed';
  readonly result: StateValue;
}

export type RunEvent =
  | RunStartEvent
  | GenerationEvent
  | EvalEvent
  | CheckpointEvent
  | LogEvent
  | RunEndEvent;

// ---------------------------------------------------------------------------------------------------------
// Registry and plugins
// ---------------------------------------------------------------------------------------------------------

/** The kinds of component a config names. */
export type ComponentKind =
  | 'strategy'
  | 'loss'
  | 'teacher'
  | 'student'
  | 'task'
  | 'harmonizer'
  | 'middleware'
  | 'method';

/** Builds a component from its config options and the services of the run. */
export type ComponentFactory<T = unknown> = (
  options: Readonly<Record<string, unknown>>,
  context: FactoryContext,
) => T | Promise<T>;

/** Time as a service: the system clock in runs, a fake one in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * What a factory may use besides its options: the services the host's container injects (a forked RNG
 * stream named after the component, the run's clock) and the other components.
 */
export interface FactoryContext {
  readonly rng: Rng;
  readonly clock: Clock;
  /** Resolves another component by kind and name. */
  resolve<T>(kind: ComponentKind, name: string, options?: Readonly<Record<string, unknown>>): Promise<T>;
}

export interface OptimizerFactory {
  (options: OptimizerOptions): Optimizer;
}

/** Where packages and plugins register their components by name. */
export interface Registry {
  register<T>(kind: ComponentKind, name: string, factory: ComponentFactory<T>, description?: string): void;
  /** Shorthand for a strategy: options are OptimizerOptions. */
  registerStrategy(name: string, factory: OptimizerFactory, description?: string): void;
  has(kind: ComponentKind, name: string): boolean;
  names(kind: ComponentKind): string[];
}

/** The plain object a plugin package exports (as default or as `plugin`). */
export interface GdfoPlugin {
  readonly name: string;
  readonly version: string;
  /** The spec version the plugin was written against; must equal the host's. */
  readonly specVersion: SpecVersion;
  readonly description?: string;
  register(registry: Registry): void | Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Harmonizers
// ---------------------------------------------------------------------------------------------------------

/**
 * What a harmonizer sees of one generation of a hybrid run: the candidates (which it may edit), the strategy,
 * and the student's view of the task. Plain data and functions: a harmonizer plugin imports only the spec.
 */
export interface HarmonizerGeneration {
  /** The generation's index (0-based). */
  readonly index: number;
  /** Candidates of this generation; `beforeEvaluate` may replace some. */
  points: Float64Array[];
  /** Indices of `points` the harmonizer injected (not sampled by the strategy). */
  injected: number[];
  /** The strategy's mean before `tell` (mean-based strategies). */
  readonly meanBefore?: Float64Array;
  readonly strategy: Optimizer;
  /** Whether the student has seen teacher data yet; until then every harmonizer should act as `none`. */
  readonly studentReady: boolean;
  /** The out-of-sample agreement measured on this generation, when measured (Spearman ρ). */
  agreement(): number | undefined;
  /** The student's task loss (the fitness loss on the training set) at each point. */
  studentLosses(points: readonly Float64Array[]): Promise<number[]>;
  /** ∇_z of the student's task loss at z. */
  studentGradient(z: Float64Array): Promise<Float64Array>;
}

/**
 * Couples the student's gradient with the derivative-free strategy; registered under kind `harmonizer`.
 * Every hook is optional (`none` has none).
 */
export interface Harmonizer {
  readonly name: string;
  /** May replace the strategy's `ask` (e.g. screen κ·λ samples down to λ). */
  ask?(gen: HarmonizerGeneration): Promise<Float64Array[]>;
  /** Edits the candidates before the teacher sees them (e.g. inject a gradient sample). */
  beforeEvaluate?(gen: HarmonizerGeneration): Promise<void>;
  /** Acts after `tell` and distillation (e.g. move the mean along −ĝ). */
  afterTell?(gen: HarmonizerGeneration): Promise<void>;
  state?(): StateValue;
  restore?(state: StateValue): void;
}

// ---------------------------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------------------------

/** The prompt space a method searches: BBT's shallow projection, BBTv2's deep one, or none (fixed prompts). */
export type MethodSpace = 'shallow' | 'deep' | 'none';

/**
 * What the host needs to know of a method before running it (registered under kind `method`): whether to
 * build a student for it, which prompt space a saved z lives in (`gdfo eval`), and its description. The
 * runnable part (its operator chain) is the pipeline's `Method`, which extends this.
 */
export interface MethodInfo {
  readonly specVersion: SpecVersion;
  readonly name: string;
  readonly description: string;
  /** Whether the method needs a white-box student (GDFO, KD). */
  readonly needsStudent: boolean;
  readonly space: MethodSpace;
  /** Whether its result keeps a prompt z that can be scored again (false for manual, ICL, KD, white-box). */
  readonly keepsPrompt: boolean;
}
