#!/bin/bash
# Rebuilds bench/results-all5 from the per-task results dirs (jsonl concatenated, runs symlinked), then --report-only.
set -e
cd /work/main
D=bench/results-all5
rm -rf $D && mkdir -p $D/runs
for s in sst2 rte mrpc s5; do
  cat bench/results-$s/fewshot.jsonl >> $D/fewshot.jsonl
  for r in bench/results-$s/runs/*; do ln -sfn "$(pwd)/$r" $D/runs/$(basename $r); done
done
node packages/bench/dist/main.js fewshot --tasks sst2,rte,mrpc,snli,agnews --methods ${METHODS:-manual,bbt,gdfo,gdfo-mean-shift,bbtv2} --seeds 42,7,13 --results $D --jobs 1 --report-only 2>$D/report.log | tail -1
