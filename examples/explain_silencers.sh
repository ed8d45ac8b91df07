#!/usr/bin/env bash
# Do the model's explanations find the true enhancers and silencers better than ABC?
# Simulates silencers (--silencers 10: each gene has 3 enhancers and 2 silencers) with as many
# decoy contacts as true links (20 genes x 5 links = 100 per chromosome), scored weaker than
# true links but overlapping them (--decoy-score-ratio 0.5, the default), trains Epi-GraphReg,
# and scores explanations of the test chromosomes against links.bedpe (docs/explain.md).
#   examples/explain_silencers.sh [OUT_DIR] [extra simulate flags, e.g. --decoy-contacts 0]
set -euo pipefail
out=${1:-explain_demo}; shift || true
graphreg simulate --out "$out/data" --silencers 10 --decoy-contacts 100 "$@"
graphreg train --model gat "$out/data/dnase.bw" "$out/data/contacts.bedpe" --out "$out/run"
graphreg evaluate --model "$out/run"
graphreg explain --model "$out/run" --split test --truth "$out/data/links.bedpe" \
  -o "$out/explained.bedpe"
