#!/usr/bin/env bash
# Seq-GraphReg end to end on simulated DNA (docs/sequence.md), in ./.venv (created if needed):
# simulate --sequence (genome, DNase at 100 bp, CAGE, contacts, variants.vcf) -> train seq-gat
# from the DNA alone -> evaluate on the test chromosomes -> predict CAGE and DNase as bigWigs
# -> score the simulated SNVs against their true effects -> in-silico mutagenesis of a promoter.
# EPOCHS=N (default 30) trains longer or shorter; docs/sequence.md has the targets to measure.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DATA=${DATA:-graphreg_seq_data}
RUN=${RUN:-graphreg_seq_run}
EPOCHS=${EPOCHS:-30}

graphreg simulate --sequence --out "$DATA"
graphreg train --model seq-gat "$DATA/genome.fa" "$DATA/contacts.bedpe" --out "$RUN" \
  --epochs "$EPOCHS" --min-epochs "$EPOCHS" --batch-size 1
graphreg evaluate --model "$RUN"
graphreg predict --model "$RUN" -o "$RUN/cage.bw" --epigenome-out "$RUN/epigenome"
graphreg variants "$DATA/variants.vcf" --model "$RUN" --split test --truth \
  -o "$RUN/variant_effects.tsv"
# ISM over 600 bp around the first promoter (TATA motif) of the last test chromosome
MOTIF=$(awk -F'\t' '$1 == "chr14" && $4 == "TATA" && $5 == 1000 {print $2; exit}' "$DATA/motifs.bed")
GENE=$(awk -F'\t' -v bin=$((MOTIF / 5000 * 5000)) '$1 == "chr14" && $2 == bin {print $4}' \
  "$DATA/genes.bed")
graphreg ism --model "$RUN" --gene "$GENE" -o "$RUN/ism.bw" \
  --region "chr14:$((MOTIF - 299))-$((MOTIF + 300))"
echo "Open $RUN/igv_session.xml in IGV: DNase and CAGE, true beside predicted." >&2
