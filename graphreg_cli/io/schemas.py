"""Column names of the text formats graphreg reads and writes (cf. bioframe's schemas)."""

BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]
BED_REQUIRED = 3

# bedtools BEDPE: 6 required columns, then optional name, score, strand1, strand2, extras.
BEDPE_COLUMNS = [
    "chrom1",
    "start1",
    "end1",
    "chrom2",
    "start2",
    "end2",
    "name",
    "score",
    "strand1",
    "strand2",
]
BEDPE_REQUIRED = 6

CHROMSIZES_COLUMNS = ["chrom", "length"]

# Columns that hold integers (0-based, half-open coordinates).
INT_COLUMNS = {"start", "end", "start1", "end1", "start2", "end2"}
