/**
 * The methods: one file each under methods/ (dfo.ts: BBT, BBTv2; gdfo.ts: GDFO shallow and deep; fixed.ts:
 * manual, ICL; kd.ts; whitebox.ts), the contract in methods/method.ts, and `runMethod` by name.
 */
export * from './methods/index.js';
