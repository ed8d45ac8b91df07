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


# graphreg prepare contacts: the BEDPE columns (score = count), then these, under a '#' header.
CALL_COLUMNS = ["count", "expected", "pvalue", "qvalue"]

# Columns that hold integers (0-based, half-open coordinates).
INT_COLUMNS = {"start", "end", "start1", "end1", "start2", "end2"}

# Contacts read from any supported format (graphreg_cli.io.contacts.read_contacts): the six
# anchor columns, the contact's strength, its FDR/q-value (NaN when none) and source line.
CONTACT_COLUMNS = BEDPE_COLUMNS[:6] + ["score", "fdr", "line"]

# Loop-caller tables with a header line; names match case-insensitively, anchors are always the
# first six columns. "signature": header names identifying the format; "score": the contact
# strength column (None: -log10 of the FDR); "fdr": the FDR column(s), each with older aliases.
LOOP_HEADERS = {
    "hiccups": {  # Juicer merged_loops.bedpe: #chr1 x1 x2 chr2 y1 y2 ... observed ... fdrBL ...
        "label": "Juicer HiCCUPS",
        "signature": ("x1", "y1"),
        "score": ("observed", "o"),  # GSE63525 looplists: o, fdr_bl, fdr_donut, ...
        "fdr": (
            ("fdrBL", "fdr_bl"),
            ("fdrDonut", "fdr_donut"),
            ("fdrH", "fdr_h"),
            ("fdrV", "fdr_v"),
        ),
    },
    "fithichip": {  # *.interactions_FitHiC_Q0.01.bed: chr1 s1 e1 chr2 s2 e2 cc ... Q-Value_Bias
        "label": "FitHiChIP",
        "signature": ("s1", "e1", "cc"),
        "score": ("cc",),
        "fdr": (("Q-Value_Bias", "Q-Value"),),
    },
    "hicdcplus": {  # gi_list_write: chrI startI endI chrJ startJ endJ D counts pvalue qvalue ...
        "label": "HiC-DC+",
        "signature": ("startI", "startJ"),
        "score": ("counts",),
        "fdr": (("qvalue",),),
    },
    "graphreg": {  # graphreg prepare contacts: #chrom1 ... strand2 count expected pvalue qvalue
        "label": "graphreg prepare contacts",
        "signature": ("expected", "qvalue"),
        "score": ("count",),
        "fdr": (("qvalue",),),
    },
    "mustache": {  # BIN1_CHR BIN1_START BIN1_END BIN2_CHROMOSOME ... BIN2_END FDR DETECTION_SCALE
        "label": "Mustache",
        "signature": ("FDR", "DETECTION_SCALE"),
        "score": None,
        "fdr": (("FDR",),),
    },
}

# VCF 4.2 (fixed columns of the #CHROM line; graphreg writes sites only, no samples).
VCF_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]

# graphreg variants: one row per (SNV, gene it can reach), largest |delta_log2| first.
VARIANT_EFFECT_COLUMNS = [
    "variant",
    "chrom",
    "pos",
    "ref",
    "alt",
    "gene",
    "tss",
    "distance",
    "contact",
    "cage_ref",
    "cage_alt",
    "delta_log2",
]
