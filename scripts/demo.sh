#!/usr/bin/env bash
# The main job end to end on built-in synthetic data, in ./.venv (created if needed).
# Writes graphreg_data/ (open graphreg_data/igv_session.xml in IGV).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
graphreg simulate --out graphreg_data "$@"
