"""VCF 4.2 text: SNVs written (``simulate --sequence``) and read (``graphreg variants``).

The reader is a careful line parser (plain or bgzip/gzip): it needs the ``##fileformat=VCF``
and ``#CHROM`` header lines, keeps single-base REF/ALT records and counts what it skips
(indels, multi-allelic and symbolic alleles, no ALT), and names the line of anything it
cannot read. pysam and bcftools read what :func:`write_vcf` writes (tests check pysam).
"""

from __future__ import annotations

import gzip
import logging
import zlib
from pathlib import Path

import pandas as pd

from graphreg_cli.errors import InputError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.io.schemas import VCF_COLUMNS
from graphreg_cli.io.text import open_text

logger = logging.getLogger(__name__)

SNV_BASES = set("ACGT")
# INFO fields of simulated variants: name -> (Number, Type, Description)
SIMULATED_INFO = {
    "KIND": ("1", "String", "Where the SNV lies: promoter, enhancer, silencer or neutral"),
    "MOTIF": ("1", "String", "The motif whose fixed base the SNV changes"),
    "SIGN": ("1", "Integer", "True sign of the effect on CAGE (-1, +1; 0 = no effect)"),
    "EFFECT": ("1", "Float", "True change in log2(1 + CAGE) at GENE (simulation's rule)"),
    "GENE": ("1", "String", "The gene whose CAGE changes most"),
}


def write_vcf(
    frame: pd.DataFrame, contigs: dict[str, int], path: str | Path, source: str, reference: str
) -> None:
    """Write SNVs as VCF 4.2. ``frame``: ``chrom, pos`` (0-based), ``id, ref, alt`` and the
    :data:`SIMULATED_INFO` columns (lower case) present; rows in ``contigs`` order then by
    position."""
    info = [k for k in SIMULATED_INFO if k.lower() in frame]
    lines = ["##fileformat=VCFv4.2", f"##source={source}", f"##reference={reference}"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    for key in info:
        number, kind, text = SIMULATED_INFO[key]
        lines.append(f'##INFO=<ID={key},Number={number},Type={kind},Description="{text}">')
    lines.append("#" + "\t".join(VCF_COLUMNS))
    order = {c: i for i, c in enumerate(contigs)}
    rows = frame.assign(_order=frame["chrom"].map(order)).sort_values(["_order", "pos"])
    for row in rows.itertuples(index=False):
        fields = ";".join(f"{k}={_info_value(getattr(row, k.lower()))}" for k in info) or "."
        lines.append(
            f"{row.chrom}\t{row.pos + 1}\t{row.id}\t{row.ref}\t{row.alt}\t.\tPASS\t{fields}"
        )
    with atomic_text(path) as handle:
        handle.write("\n".join(lines) + "\n")


def _info_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value) if str(value) else "."


def read_vcf(path: str | Path) -> pd.DataFrame:
    """SNVs of a VCF: ``chrom, pos`` (0-based), ``id, ref, alt, info`` (dict) and ``line``.

    Records that are not one base to one other base (indels, several ALT alleles, ``<DEL>``,
    ``*``, ``.``) are skipped with a note counting them. A file without the VCF header lines
    is an error naming the fix.
    """
    skipped = {"indels": 0, "multi-allelic": 0, "ALT = REF": 0, "other": 0}
    rows, header = [], False
    with open_text(path) as handle:
        for number, line in _lines(handle, path):
            line = line.rstrip("\r\n")
            if number == 1 and not line.startswith("##fileformat=VCF"):
                raise InputError(
                    "has no VCF header (the first line must be ##fileformat=VCFv4.2, and a "
                    "#CHROM line must precede the records); add the header lines",
                    path,
                    line=1,
                )
            if line.startswith("##") or not line.strip():
                continue
            if line.startswith("#CHROM"):
                header = True
                continue
            if not header:
                raise InputError("record before the #CHROM header line; add it", path, number)
            rows.append(_record(line, number, path, skipped))
    if not header:
        raise InputError("has no #CHROM header line; add it before the records", path)
    _note_skipped(path, skipped)
    if not any(r is not None for r in rows):
        if not rows:
            raise InputError("holds no records (header lines only); add the SNVs to score", path)
        raise InputError(
            f"none of its {len(rows)} record(s) is an SNV (one base to another); "
            f"{_skipped_text(skipped)}",
            path,
        )
    columns = ["chrom", "pos", "id", "ref", "alt", "info", "line"]
    return pd.DataFrame([r for r in rows if r is not None], columns=columns)


def _record(line: str, number: int, path, skipped: dict) -> tuple | None:
    fields = line.split("\t")
    if len(fields) < 8:
        raise InputError(
            f"has {len(fields)} tab-separated columns, a VCF record needs 8 (CHROM POS ID REF "
            "ALT QUAL FILTER INFO)",
            path,
            number,
        )
    chrom, pos, ident, ref, alt = fields[:5]
    if not (pos.isascii() and pos.isdigit()) or int(pos) < 1:
        raise InputError(f"POS '{pos}' is not a positive integer", path, number)
    ref, alts = ref.upper(), alt.upper().split(",")
    if len(alts) > 1:
        skipped["multi-allelic"] += 1
        return None
    if len(ref) != 1 or len(alts[0]) != 1:
        kind = "indels" if alts[0].isalpha() and ref.isalpha() else "other"
        skipped[kind] += 1
        return None
    if ref not in SNV_BASES or alts[0] not in SNV_BASES:
        skipped["other"] += 1
        return None
    if alts[0] == ref:  # not a variant: nothing to score
        skipped["ALT = REF"] += 1
        return None
    return (chrom, int(pos) - 1, ident, ref, alts[0], parse_info(fields[7]), number)


def parse_info(text: str) -> dict[str, str]:
    """``KEY=value;FLAG`` → ``{KEY: value, FLAG: ''}`` (``.``: empty)."""
    if text in ("", "."):
        return {}
    pairs = (item.partition("=") for item in text.split(";") if item)
    return {key: value for key, _, value in pairs}


def _lines(handle, path):
    """``(number, line)`` of an open VCF; a cut-short gzip file is a one-line error."""
    try:
        yield from enumerate(handle, start=1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise InputError(
            f"is cut short or damaged ({err}); download or compress it again (bgzip file.vcf)",
            path,
        ) from None
    except UnicodeDecodeError:
        raise InputError("is not text; expected a VCF (plain or bgzip)", path) from None


def _skipped_text(skipped: dict) -> str:
    parts = ", ".join(f"{n} {kind}" for kind, n in skipped.items() if n)
    return f"{sum(skipped.values())} record(s) that are not SNVs skipped ({parts})"


def _note_skipped(path, skipped: dict) -> None:
    if sum(skipped.values()):
        logger.info(f"{Path(path).name}: {_skipped_text(skipped)}")
