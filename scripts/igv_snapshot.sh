#!/usr/bin/env bash
# Render files in IGV desktop (headless, under Xvfb) to a PNG:
#
#   scripts/igv_snapshot.sh GENOME OUT.png LOCUS FILE [FILE ...]   (or a session .xml as FILE)
#
# Same use as ../shared/tools/igv-snapshot, with two fixes needed on this team's machines:
# Java takes its home from the user record, not $HOME, so IGV ignored the script's prefs, tried
# to download hg19 (no network) and hung; -Duser.home fixes that. The batch port is turned off
# so two renders can run at once. Needs Debian's igv and xvfb: apt-get install -y igv xvfb
set -euo pipefail
if [ $# -lt 4 ]; then sed -n '2,10p' "$0"; exit 2; fi
command -v xvfb-run >/dev/null && [ -f /usr/share/java/igv.jar ] || {
  echo "igv_snapshot: needs IGV and Xvfb: apt-get install -y igv xvfb" >&2; exit 2; }
genome=$(realpath "$1"); out=$(realpath -m "$2"); locus=$3; shift 3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home/igv"
printf 'DEFAULT_GENOME_KEY=%s\nSHOW_SINGLE_TRACK_PANE_KEY=false\nPORT_ENABLED=false\n' \
  "$genome" > "$work/home/igv/prefs.properties"
{
  echo new
  case "$1" in
    *.xml) echo "load $(realpath "$1")" ;;
    *) echo "genome $genome"; for f in "$@"; do echo "load $(realpath "$f")"; done ;;
  esac
  echo "goto $locus"
  echo "maxPanelHeight 2000"
  echo "snapshotDirectory $(dirname "$out")"
  echo "snapshot $(basename "$out")"
  echo exit
} > "$work/batch.txt"
rm -f "$out"
HOME="$work/home" timeout 240 xvfb-run -a -s "-screen 0 1400x1000x24" \
  java -Xmx4g -Duser.home="$work/home" -cp /usr/share/java/igv.jar org.broad.igv.ui.Main \
  -g "$genome" -b "$work/batch.txt" > "$work/igv.log" 2>&1 || true
grep -E "SEVERE|ERROR" "$work/igv.log" | grep -vE "amazonaws|igv\.org|oAuth|genome list|UnknownHost" || true
if [ -s "$out" ]; then echo "$out"; else echo "igv_snapshot: no snapshot written" >&2; exit 1; fi
