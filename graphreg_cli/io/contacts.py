"""Chromatin contacts from loop callers, BEDPE or contact matrices, as one scored table.

Text formats (plain or gzip, tab-separated; the anchors are the first six columns, kept as
written: any grid, chromosome names untouched; headers in ``schemas.LOOP_HEADERS``):

- ``bedpe``: bedtools BEDPE; score = 8th column where numeric, else 1.0; no FDR.
- ``hiccups``: Juicer HiCCUPS ``merged_loops.bedpe``; score = ``observed``,
  fdr = the largest of ``fdrBL``, ``fdrDonut``, ``fdrH``, ``fdrV``.
- ``fithichip``: FitHiChIP interactions; score = ``cc`` (read count), fdr = ``Q-Value_Bias``.
- ``hicdcplus``: HiC-DC+ ``gi_list_write``; score = ``counts``, fdr = ``qvalue`` (empty or NA:
  NaN, as for rows HiC-DC+ did not model).
- ``graphreg``: ``graphreg prepare contacts`` (``#chrom1 ... count expected pvalue qvalue``);
  score = ``count``, fdr = ``qvalue``.
- ``mustache``: Mustache loops; fdr = ``FDR``, score = -log10(FDR).
- ``hicdetectloops``: HiCExplorer hicDetectLoops, 7 columns, no header; the 7th is a *p-value*,
  kept as fdr (``max_fdr`` then thresholds the p-value); score = -log10(p).

``matrix``: ``.cool``, ``.mcool`` or ``.hic`` read with hictkpy (:mod:`graphreg_cli.io.matrix`):
raw counts of intra-chromosomal pixels above the diagonal, streamed in row blocks, kept by
``min_score`` and/or ``top_k``. ``dump``: a Juicer dump (``bin1 bin2 value``) of one
chromosome (:mod:`graphreg_cli.io.dump`), read as the same matrix would be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.bedpe import read_bedpe
from graphreg_cli.io.dump import looks_like_dump
from graphreg_cli.io.matrix import MATRIX_SUFFIXES, log_kept, read_matrix
from graphreg_cli.io.schemas import BEDPE_COLUMNS, CONTACT_COLUMNS, LOOP_HEADERS
from graphreg_cli.io.text import HEADER_PREFIXES, data_lines, open_text

logger = logging.getLogger(__name__)

CONTACT_FORMATS = ("auto", "bedpe", *LOOP_HEADERS, "hicdetectloops", "matrix", "dump")
LABELS = {name: spec["label"] for name, spec in LOOP_HEADERS.items()} | {
    "bedpe": "BEDPE",
    "hicdetectloops": "HiCExplorer hicDetectLoops",
    "matrix": "contact matrix (.cool/.mcool/.hic)",
    "dump": "Juicer dump (bin1 bin2 value)",
}
ANCHORS = BEDPE_COLUMNS[:6]
NA_TOKENS = {"", "na", "nan", "."}  # a missing FDR/q-value (HiC-DC+ writes NA as empty)
CHUNK_ROWS = 500_000  # text rows converted at a time

Log = Callable[[str], None] | None


def edge_weight(score: np.ndarray) -> np.ndarray:
    """Log-scaled edge weight ``log1p(max(score, 0))`` as float32, one per contact.

    Compresses counts spanning orders of magnitude (1 to 10^4 reads) into 0 to ~9 so that a few
    very strong contacts do not swamp message passing; non-positive scores weigh 0.
    """
    return np.log1p(np.maximum(np.asarray(score, dtype=np.float64), 0.0)).astype(np.float32)


def read_contacts(
    path: str | Path,
    fmt: str = "auto",
    *,
    max_fdr: float | None = None,
    min_score: float | None = None,
    bin_size: int | None = None,
    chroms: dict[str, int] | None = None,
    top_k: int | None = None,
    dump_chrom: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read contacts from any of ``CONTACT_FORMATS``; returns ``(frame, format_used)``.

    ``frame`` has ``chrom1, start1, end1, chrom2, start2, end2`` (int64 coordinates), ``score``
    (float64: counts where the format has them, see the module docstring), ``fdr`` (float64,
    NaN where the format has none) and ``line`` (int64, 1-based source line; 0 for matrices).
    ``max_fdr`` drops rows with fdr > max_fdr (and NaN fdr); ``min_score`` drops score <
    min_score. ``bin_size``, ``chroms`` (name -> length, the chromosomes to read) and ``top_k``
    (strongest contacts kept per bin; 10 when neither it nor ``min_score`` is given) are for
    matrices (and dumps) only; ``dump_chrom``: a dump's chromosome (default: from its file
    name). Notes (format detected, rows kept) are logged.
    """
    path = Path(path)
    if fmt not in CONTACT_FORMATS:
        raise SettingError(
            f"{{contacts_format}}: use one of {', '.join(CONTACT_FORMATS)}", contacts_format=fmt
        )
    if top_k is not None and top_k < 1:
        raise SettingError("{top_k} must be at least 1", top_k=top_k)
    _no_fdr(fmt, max_fdr)  # where the format is named; auto: once detected
    if fmt == "auto" and path.name.lower().endswith(MATRIX_SUFFIXES):
        fmt = "matrix"
        logger.info(f"contacts: {path.name} read as a {LABELS[fmt]}")
    elif fmt == "auto" and path.exists() and looks_like_dump(path):
        fmt = "dump"
        logger.info(f"contacts: {path.name} read as a {LABELS[fmt]} (auto-detected)")
    if fmt in ("matrix", "dump"):
        _no_fdr(fmt, max_fdr)  # auto-detected from the suffix or content
        dump = fmt == "dump"
        return read_matrix(path, bin_size, chroms, min_score, top_k, dump, dump_chrom), fmt
    if top_k is not None:
        raise SettingError(
            "{top_k} applies to contact matrices (.cool/.mcool/.hic, Juicer dumps) only",
            top_k=top_k,
        )
    header = _sniff_header(path)
    if fmt == "auto":
        fmt = _detect(path, header)
        bedpe = read_bedpe(path) if fmt == "bedpe" else None
        if bedpe is not None and "name" in bedpe and "score" not in bedpe and len(bedpe):
            p_values = pd.to_numeric(bedpe["name"], errors="coerce")  # exactly 7 columns
            fmt = "hicdetectloops" if p_values.between(0, 1).all() else "bedpe"
        logger.info(f"contacts: {path.name} read as {LABELS[fmt]} (auto-detected)")
    else:
        bedpe = read_bedpe(path) if fmt in ("bedpe", "hicdetectloops") else None
    _no_fdr(fmt, max_fdr)
    if fmt in LOOP_HEADERS:
        chunks = _read_header_table(path, fmt, header)
    else:
        chunks = iter([_from_bedpe(bedpe, fmt, path)])
    return _filter(chunks, fmt, max_fdr, min_score), fmt


def _no_fdr(fmt: str, max_fdr: float | None) -> None:
    if max_fdr is not None and fmt in ("bedpe", "matrix", "dump"):
        raise SettingError(
            f"{{max_fdr}}: {LABELS[fmt]} files carry no FDR/q-value column", max_fdr=max_fdr
        )


def _sniff_header(path: Path) -> tuple[int, list[str], bool] | None:
    """``(line, names, commented)`` of the header line, or None when the file has none.

    A header is a line whose second field is not an integer, seen before the first data line;
    it may start with ``#`` (HiCCUPS). Other ``#`` lines (``# juicer_tools version``) are skipped.
    """
    with open_text(path) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                commented = line.startswith(HEADER_PREFIXES)
                names = [name.strip() for name in line.lstrip("#").split("\t")]
                if len(names) >= 6 and not _is_int(names[1]):
                    return number, names, commented
                if not commented:
                    return None
        except (EOFError, OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot be read ({err}); is it truncated or binary?", path) from None
    return None


def _is_int(text: str) -> bool:
    try:
        return float(text) % 1 == 0
    except ValueError:
        return False


def _detect(path: Path, header: tuple[int, list[str], bool] | None) -> str:
    """The loop caller whose header names (``signature``) all appear, else ``bedpe``.

    ``read_contacts`` then takes a headerless file of exactly 7 columns whose 7th is a number
    in [0, 1] on every row for hicDetectLoops output. An unknown header without ``#`` is an error.
    """
    if header is None:
        return "bedpe"
    names = {name.lower() for name in header[1]}
    for fmt, spec in LOOP_HEADERS.items():
        if all(name.lower() in names for name in spec["signature"]):
            return fmt
    if header[2]:  # a commented header of unknown columns: a BEDPE with column names
        return "bedpe"
    raise InputError(
        f"header '{' '.join(header[1][:8])}' is not one of HiCCUPS, FitHiChIP, HiC-DC+, "
        "Mustache or graphreg prepare contacts; name the format, or start the header with "
        "'#' to read a BEDPE",
        path,
        header[0],
    )


def _read_header_table(path: Path, fmt: str, header) -> Iterator[pd.DataFrame]:
    """Yield converted chunks of a loop-caller table, keeping only the columns needed."""
    spec = LOOP_HEADERS[fmt]
    if header is None:
        expected = ", ".join(spec["signature"])
        raise InputError(f"has no header line; {LABELS[fmt]} files name {expected}", path)
    number, names, _ = header
    lower = [name.lower() for name in names]

    def column(aliases: tuple[str, ...]) -> int:
        for alias in aliases:
            if alias.lower() in lower:
                return lower.index(alias.lower())
        raise InputError(f"{LABELS[fmt]} header has no '{aliases[0]}' column", path, number)

    has_score = spec["score"] is not None
    wanted = [column(spec["score"])] if has_score else []
    wanted += [column(aliases) for aliases in spec["fdr"]]
    value_names = [names[k] for k in wanted]
    wanted = list(range(6)) + wanted
    rows: list[list[str]] = []
    lines: list[int] = []
    for line, values in data_lines(path):
        if line == number:
            continue
        if len(values) != len(names):
            problem = f"has {len(values)} columns but the header has {len(names)}"
            raise InputError(f"{problem}; is the file truncated or space-separated?", path, line)
        rows.append([values[i] for i in wanted])
        lines.append(line)
        if len(rows) >= CHUNK_ROWS:
            yield _convert(rows, lines, value_names, has_score, path)
            rows, lines = [], []
    yield _convert(rows, lines, value_names, has_score, path)


def _convert(rows, lines, names: list[str], has_score: bool, path: Path) -> pd.DataFrame:
    """Turn raw rows (6 anchors, then the score column if any, then FDR columns) into contacts."""
    raw = np.array(rows, dtype=object).reshape(len(rows), 6 + len(names))
    numbers = np.asarray(lines, dtype=np.int64)
    frame = pd.DataFrame(raw[:, :6], columns=ANCHORS)
    _check_coordinates(frame, numbers, path)
    values = [
        _numbers(raw[:, 6 + k], name, numbers, path, allow_na=k >= has_score)
        for k, name in enumerate(names)
    ]
    frame["fdr"] = np.column_stack(values[has_score:]).max(axis=1)
    # Mustache has no count: the more significant, the stronger
    frame["score"] = values[0] if has_score else _minus_log10(frame["fdr"].to_numpy())
    frame["line"] = numbers
    return frame[CONTACT_COLUMNS]


def _minus_log10(p: np.ndarray) -> np.ndarray:
    return -np.log10(np.maximum(p, 1e-300))


def _from_bedpe(frame: pd.DataFrame, fmt: str, path: Path) -> pd.DataFrame:
    numbers = frame["line"].to_numpy(np.int64)
    out = frame[ANCHORS].copy()
    if fmt == "hicdetectloops":
        if "name" not in frame:
            raise InputError("expecting 7 columns, the 7th a p-value (hicDetectLoops)", path)
        pvalue = _numbers(frame["name"].to_numpy(object), "p-value", numbers, path, False)
        out["fdr"] = pvalue
        out["score"] = _minus_log10(pvalue)
    else:
        score = frame["score"] if "score" in frame else pd.Series(np.nan, index=frame.index)
        out["score"] = pd.to_numeric(score, errors="coerce").fillna(1.0).astype(np.float64)
        out["fdr"] = np.nan
    out["line"] = numbers
    return out[CONTACT_COLUMNS]


def _numbers(values: np.ndarray, what: str, lines: np.ndarray, path: Path, allow_na: bool):
    """Parse a column of strings as float64; InputError naming the first bad line."""
    parsed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(np.float64)
    bad = np.isnan(parsed)
    if allow_na and bad.any():
        bad &= ~np.array([str(v).strip().lower() in NA_TOKENS for v in values], dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what} '{values[i]}' is not a number", path, int(lines[i]))
    return parsed


def _check_coordinates(frame: pd.DataFrame, lines: np.ndarray, path: Path) -> None:
    """Integer, non-negative, start <= end; the same messages as BEDPE (io.text.read_table)."""
    for name in ("start1", "end1", "start2", "end2"):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64)
        bad = np.isnan(values) | (values % 1 != 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{name} '{frame[name].iat[i]}' is not an integer coordinate", path, lines[i]
            )
        frame[name] = values.astype(np.int64)
    for start, end in (("start1", "end1"), ("start2", "end2")):
        first, last = frame[start].to_numpy(), frame[end].to_numpy()
        if (first < 0).any():
            i = int(np.flatnonzero(first < 0)[0])
            raise InputError(f"negative {start} {first[i]}", path, lines[i])
        if (first > last).any():
            i = int(np.flatnonzero(first > last)[0])
            raise InputError(
                f"{start} {first[i]} is after {end} {last[i]} (coordinates are 0-based, half-open)",
                path,
                lines[i],
            )


def _filter(chunks: Iterator[pd.DataFrame], fmt, max_fdr, min_score) -> pd.DataFrame:
    """Apply ``max_fdr``/``min_score`` chunk by chunk and log what was dropped."""
    kept, total = [], 0
    for frame in chunks:
        total += len(frame)
        keep = np.ones(len(frame), dtype=bool)
        if max_fdr is not None:
            keep &= frame["fdr"].to_numpy() <= max_fdr
        if min_score is not None:
            keep &= frame["score"].to_numpy() >= min_score
        kept.append(frame[keep])
    out = pd.concat([frame for frame in kept if len(frame)] or kept[:1], ignore_index=True)
    what = "p-value" if fmt == "hicdetectloops" else "FDR"
    log_kept(len(out), total, [(what + " ≤ {:g}", max_fdr), ("score ≥ {:g}", min_score)])
    return out
