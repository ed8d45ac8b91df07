#!/usr/bin/env bash
# Does deleting an element tell an enhancer from a silencer?
# Simulates silencers (--silencers 10: each gene has 3 enhancers and 2 silencers) with
# H3K27ac and H3K27me3 tracks (--histone), trains the additive model (each contact adds
# gate x sign x activity to its gene, so a deletion removes exactly the element's term)
# and scores the test chromosomes' explanations against links.bedpe: the share of enhancer
# links whose deletion lowers the prediction and of silencer links whose deletion raises it.
# Each deletion empties the element's own bin (--width 1), where the additive model signs
# best (docs/explain.md, "The additive model").
#   examples/explain_signs.sh [OUT_DIR] [extra simulate flags, e.g. --seed 1]
set -euo pipefail
out=${1:-explain_signs}; shift || true
graphreg simulate --out "$out/data" --silencers 10 --histone "$@"
graphreg train --model additive --dropout 0.3 --min-epochs 600 --out "$out/run" \
  "$out/data/dnase.bw" "$out/data/h3k27ac.bw" "$out/data/h3k27me3.bw" "$out/data/contacts.bedpe"
graphreg evaluate --model "$out/run"
graphreg explain --model "$out/run" --split test --method deletion --width 1 \
  --truth "$out/data/links.bedpe" -o "$out/explained.bedpe"
