"""Raw files → graphreg inputs: BAMs → binned bigWigs (``coverage``), Hi-C/HiChIP matrices →
significant contacts (``contacts``)."""
