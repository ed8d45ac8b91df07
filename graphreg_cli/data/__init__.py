"""The data pipeline: genomic files → one PyG graph per chromosome → model inputs.

``inputs`` / ``graphs`` (files → graphs), ``edges`` (contacts → bin pairs), ``genes`` (TSS
bins), ``naming`` (chromosome names and resolutions across files), ``features`` (track
transforms, the gene channel), ``tiles`` (windows of long chromosomes).
"""
