#!/usr/bin/env bash
# Worked example, offline: raw files (a DNase BAM, a CAGE BAM, a Hi-C .cool) -> graphreg
# prepare -> train on GraphReg's fold 1 -> evaluate. The raw files are made here with pysam
# and hictkpy from a graphreg simulate folder (examples/raw_files.py), so the planted truth
# is known. Usage: examples/from_raw_files.sh [WORKDIR]   (needs pip install 'graphreg[prepare]')
set -euo pipefail
work="${1:-raw_demo}"
mkdir -p "$work"
graphreg simulate --chromosomes 22 --bins 200 --genes 10 --split 16,3,3 -o "$work/truth"
python "$(dirname "$0")/raw_files.py" "$work/truth" "$work/raw"

# BAM -> bigWig: DNase coverage at 1 kb (RPGC: 1x coverage, comparable across cell types),
# CAGE 5' ends per strand at 5 kb, as ENCODE ships CAGE.
graphreg prepare coverage "$work/raw/dnase.bam" --bin-size 1000 --normalize rpgc \
    --effective-genome-size 22000000 -o "$work/dnase.bw"
graphreg prepare coverage "$work/raw/cage.bam" --five-prime --strand + --bin-size 5000 \
    -o "$work/cage_plus.bw"
graphreg prepare coverage "$work/raw/cage.bam" --five-prime --strand - --bin-size 5000 \
    -o "$work/cage_minus.bw"

# Hi-C -> significant contacts at FDR 0.1 within 2 Mb.
graphreg prepare contacts "$work/raw/contacts.cool" --resolution 5000 --fdr 0.1 \
    -o "$work/contacts.bedpe"

# Train on the prepared files: both CAGE strands summed, GraphReg's fold 1 (val chr1, chr11;
# test chr2, chr12); then score the test chromosomes.
graphreg train --model gat "$work/dnase.bw" "$work/contacts.bedpe" \
    --target "$work/cage_plus.bw" --target "$work/cage_minus.bw" --genes "$work/truth/genes.bed" \
    --bin-size 5000 --input-bin-size 1000 --transform log1p --fold 1 \
    --epochs 60 --min-epochs 20 --patience 10 -o "$work/run"
graphreg evaluate --model "$work/run"
