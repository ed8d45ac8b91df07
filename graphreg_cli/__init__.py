"""graphreg: gene expression from epigenomic tracks and chromatin contacts (Epi-GraphReg)."""

__version__ = "0.1.0"
