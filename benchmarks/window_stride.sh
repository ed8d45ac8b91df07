#!/usr/bin/env bash
# Windowed training on long chromosomes, and what a longer --stride costs in quality.
# 12 simulated chromosomes of 30 Mb (6,000 bins of 5 kb; links within 2 Mb), Epi-GraphReg
# trained with 6 Mb windows every 2 Mb (GraphReg's default) and every 4 Mb (half the predict
# work), then evaluated on the 2 test chromosomes. Results: docs/benchmarks.md.
#   benchmarks/window_stride.sh [WORKDIR]     (about 10 minutes on 2 cores)
set -euo pipefail
work=${1:-/tmp/graphreg_stride}
mkdir -p "$work"
for i in $(seq 1 12); do printf 'chr%s\t30000000\n' "$i"; done > "$work/sizes"
graphreg simulate --chrom-sizes "$work/sizes" --out "$work/data"
for stride in 2000000 4000000; do
  echo "train --stride $stride" >&2
  time graphreg train --model gat \
    "$work/data/dnase.bw" "$work/data/contacts.bedpe" --stride "$stride" --out "$work/run_$stride"
  graphreg evaluate --model "$work/run_$stride"
done
