#!/usr/bin/env bash
# Seq-GraphReg end to end on simulated DNA (docs/sequence.md), in ./.venv (created if needed):
# simulate --sequence --histone (genome, DNase, H3K27ac, H3K4me3 at 100 bp, CAGE, contacts,
# variants.vcf) -> train seq-gat from the DNA alone in GraphReg's two stages (the trunk learns
# the epigenome, then, frozen, the graph layers learn CAGE) -> evaluate on the test
# chromosomes -> predict CAGE and the tracks as bigWigs -> score the simulated SNVs against
# their true effects -> in-silico mutagenesis of a promoter.
# TRUNK_EPOCHS (default 60) and CAGE_EPOCHS (default 100) set each stage's epochs;
# docs/sequence.md has the targets measured with them.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DATA=${DATA:-graphreg_seq_data}
RUN=${RUN:-graphreg_seq_run}
TRUNK_EPOCHS=${TRUNK_EPOCHS:-60}
CAGE_EPOCHS=${CAGE_EPOCHS:-100}

graphreg simulate --sequence --histone --out "$DATA"
# stage 1: DNA -> epigenome (trunk and epigenome head)
graphreg train --model seq-gat "$DATA/genome.fa" "$DATA/contacts.bedpe" --out "${RUN}_trunk" \
  --stage epigenome --epochs "$TRUNK_EPOCHS" --min-epochs "$TRUNK_EPOCHS" --batch-size 1 --overwrite
# stage 2: the trunk frozen, graph attention over the contacts -> CAGE
graphreg train --model seq-gat "$DATA/genome.fa" "$DATA/contacts.bedpe" --out "$RUN" \
  --stage cage --init "${RUN}_trunk" --epochs "$CAGE_EPOCHS" --min-epochs 30 --batch-size 1 --overwrite
graphreg evaluate --model "$RUN"
graphreg predict --model "$RUN" -o "$RUN/cage.bw" --epigenome-out "$RUN/epigenome"
graphreg variants "$DATA/variants.vcf" --model "$RUN" --split test --truth \
  -o "$RUN/variant_effects.tsv"
# ISM over 600 bp around the first promoter (TATA motif) of the last test chromosome
MOTIF=$(awk -F'\t' '$1 == "chr24" && $4 == "TATA" && $5 == 1000 {print $2; exit}' "$DATA/motifs.bed")
GENE=$(awk -F'\t' -v bin=$((MOTIF / 5000 * 5000)) '$1 == "chr24" && $2 == bin {print $4}' \
  "$DATA/genes.bed")
graphreg ism --model "$RUN" --gene "$GENE" -o "$RUN/ism.bw" \
  --region "chr24:$((MOTIF - 299))-$((MOTIF + 300))"
echo "Open $RUN/igv_session.xml in IGV: DNase and CAGE, true beside predicted." >&2
