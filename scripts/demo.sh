#!/usr/bin/env bash
# The main job end to end on built-in synthetic data, in ./.venv (created if needed):
# simulate (DNase at 100 bp, CAGE and graph at 5 kb) -> train Epi-GraphReg -> evaluate on test
# chromosomes -> predict a bigWig. Run again, it replaces its own earlier run (--overwrite).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
graphreg simulate --input-bin-size 100 --out graphreg_data
graphreg train --model gat graphreg_data/dnase.bw graphreg_data/contacts.bedpe --out graphreg_run \
  --overwrite
graphreg evaluate --model graphreg_run --plots graphreg_run/plots
graphreg predict --model graphreg_run -o graphreg_run/predicted_cage.bw
echo "Open graphreg_run/igv_session.xml in IGV to see prediction beside truth." >&2
