/**
 * @gdfo/distill — distillation and task losses in tfjs (CE, BBT hinge, KL with temperature, MSE, the
 * method's KD mixture, weighted mixtures), each with an exact float64 reference, plus the plain-number
 * fitness and agreement helpers of the DFO loop (CE / hinge fitness, accuracy, Spearman, cosine).
 */
export * from './fitness.js';
export * from './losses.js';
