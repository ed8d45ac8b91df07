"""What a run reads: the input files, their resolutions, and the train/val/test split.

``Inputs`` names the tracks (bigWig, finer than or as fine as the graph), the contacts, the
target (CAGE) and the genes; :meth:`Inputs.from_folder` fills them from a ``graphreg
simulate`` folder (its ``dataset.json``). :func:`find_split` assigns chromosomes to train,
val and test; :func:`last_sixths` is the default rule, shared with the simulator.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from graphreg_cli.data.edges import ContactOptions
from graphreg_cli.data.expression import TargetSettings
from graphreg_cli.data.naming import reconcile_names
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError, preview
from graphreg_cli.io.genetable import is_gene_table
from graphreg_cli.io.tracks import TrackFormat, is_track, track_chroms

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
MANIFEST = "dataset.json"  # written by graphreg simulate beside its files


@dataclass
class Inputs:
    """The files a run reads and their resolutions; paths are absolute once resolved.

    ``tracks``: bigWigs or bedGraphs (``bedgraph``: their values are a per-base ``signal``
    or ``counts`` per interval; ``chrom_sizes``: the sizes of their chromosomes, else a
    chrom.sizes beside them); ``contacts``: loops or a matrix (None: a graph of genomic
    distance, ``contact_options.distance_bp``); ``target``: a CAGE bigWig or a gene table
    (``target_column``, ``target_scale``, ``target_transform``: how it is read,
    :class:`graphreg_cli.data.expression.TargetSettings`);
    ``bin_size``: graph nodes and CAGE (bp); ``input_bin_size``: the tracks (bp, divides
    ``bin_size``; None = ``bin_size``); ``contact_options``: format and filters of the contacts;
    ``genome``: a FASTA, read by sequence models (their tracks are then what they predict);
    ``extra_targets``: more CAGE bigWigs summed with ``target`` (plus and minus strands);
    ``gene_types`` / ``tss``: which GTF genes mark TSS bins (None: all types; ``gene`` or
    ``transcript``: one TSS per gene or every transcript's).
    """

    tracks: list[Path]
    contacts: Path | None
    target: Path | None = None
    genes: Path | None = None
    bin_size: int = 5000
    input_bin_size: int | None = None
    contact_options: ContactOptions = field(default_factory=ContactOptions)
    genome: Path | None = None
    extra_targets: list[Path] = field(default_factory=list)
    gene_types: list[str] | None = None
    tss: str = "gene"
    bedgraph: str = "signal"
    chrom_sizes: Path | None = None
    target_column: str | None = None
    target_scale: str = "linear"
    target_transform: str = "none"

    def __post_init__(self):
        if isinstance(self.tracks, (str, Path)):  # one track given alone, not letter by letter
            self.tracks = [self.tracks]
        if not isinstance(self.tracks, (list, tuple)):
            raise TypeError(
                f"Inputs(tracks=...) takes a list of paths, not {type(self.tracks).__name__}"
            )
        self.tracks = [Path(t) for t in self.tracks]

    @property
    def targets(self) -> list[Path]:
        """The CAGE tracks summed into the target (none without ``target``, or when the
        target is a gene table)."""
        if self.target is None or self.target_is_table:
            return []
        return [self.target, *self.extra_targets]

    @property
    def target_is_table(self) -> bool:
        """Whether the target is a gene table (expression per gene) rather than a track."""
        return self.target is not None and is_gene_table(self.target)

    @property
    def target_settings(self) -> TargetSettings:
        return TargetSettings(self.target_column, self.target_scale, self.target_transform)

    @property
    def target_units(self) -> str:
        """What the target, and so the predictions, are: ``CAGE`` for tracks, else the
        gene table's column after any transform (``log1p(TPM)``)."""
        if not self.target_is_table:
            return "CAGE"
        return self.target_settings.units(self.target_column or "value")

    @property
    def track_format(self) -> TrackFormat:
        """How the tracks without a header (bedGraphs) are read."""
        return TrackFormat(self.bedgraph, self.chrom_sizes)

    @property
    def fine(self) -> int:
        """The tracks' resolution in bp."""
        return self.input_bin_size or self.bin_size

    def sizes(self) -> dict[str, int]:
        """``{chrom: length}`` of the first track, in its order."""
        return track_chroms(self.tracks[0], self.track_format)

    @property
    def pool(self) -> int:
        """Input bins per graph node."""
        return self.bin_size // self.fine

    def resolved(self) -> Inputs:
        def res(p):
            return None if p is None else Path(p).resolve()

        return replace(
            self,
            tracks=[res(t) for t in self.tracks],
            contacts=res(self.contacts),
            target=res(self.target),
            genes=res(self.genes),
            genome=res(self.genome),
            extra_targets=[res(t) for t in self.extra_targets],
            chrom_sizes=res(self.chrom_sizes),
        )

    def to_json(self) -> dict:
        """As stored in a run's config.json; ``target`` is a list when several are summed;
        ``genome``, ``gene_types`` and ``tss`` appear only when not the defaults (so configs
        of earlier runs read back the same); so do the bedGraph and gene-table settings."""
        targets = [str(t) for t in [self.target, *self.extra_targets] if t is not None]
        data = {
            "tracks": [str(t) for t in self.tracks],
            "contacts": None if self.contacts is None else str(self.contacts),
            "target": (targets or [None])[0] if len(targets) < 2 else targets,
            "genes": None if self.genes is None else str(self.genes),
            "bin_size": self.bin_size,
            "input_bin_size": self.fine,
            "contact_options": self.contact_options.to_json(),
        }
        if self.genome is not None:
            data["genome"] = str(self.genome)
        if self.gene_types is not None:
            data["gene_types"] = list(self.gene_types)
        if self.tss != "gene":
            data["tss"] = self.tss
        for name, default in OPTIONAL_FIELDS.items():
            value = getattr(self, name)
            if value != default:
                data[name] = str(value) if isinstance(value, Path) else value
        return data

    @classmethod
    def from_json(cls, data: dict) -> Inputs:
        target = data.get("target")
        targets = [Path(t) for t in ([target] if isinstance(target, str) else target or [])]
        optional = {k: data.get(k, default) for k, default in OPTIONAL_FIELDS.items()}
        if optional["chrom_sizes"] is not None:
            optional["chrom_sizes"] = Path(optional["chrom_sizes"])
        contacts = data["contacts"]
        return cls(
            [Path(t) for t in data["tracks"]],
            None if contacts is None else Path(contacts),
            targets[0] if targets else None,
            None if data.get("genes") is None else Path(data["genes"]),
            bin_size=int(data["bin_size"]),
            input_bin_size=data.get("input_bin_size"),
            contact_options=ContactOptions(**data.get("contact_options", {})),
            genome=None if data.get("genome") is None else Path(data["genome"]),
            extra_targets=targets[1:],
            gene_types=data.get("gene_types"),
            tss=data.get("tss", "gene"),
            **optional,
        )

    @classmethod
    def from_folder(cls, folder: str | Path, **changes) -> Inputs:
        """The DNase track, contacts, CAGE target, genes and resolutions of a ``graphreg
        simulate`` folder, from its ``dataset.json`` (with ``--sequence``: every epigenome
        track and the genome FASTA too); ``changes`` override fields."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest is None:
            raise InputError(
                f"no {MANIFEST} here; is it a folder written by graphreg simulate?", folder
            )
        files = manifest["files"]
        base = cls(
            [folder / f for f in files.get("epigenome", [files["dnase"]])],
            folder / files["contacts"],
            folder / files["cage"],
            folder / files["genes"],
            int(manifest["bin_size"]),
            manifest.get("input_bin_size"),
            genome=folder / files["genome"] if manifest.get("sequence") else None,
        )
        return replace(base, **changes)

    @classmethod
    def from_files(
        cls,
        tracks: list[Path],
        contacts: Path,
        target: Path | None = None,
        genes: Path | None = None,
        bin_size: int | None = None,
        input_bin_size: int | None = None,
        contact_options: ContactOptions | None = None,
        genome: Path | None = None,
    ) -> Inputs:
        """Inputs from files, the target, genes and resolutions not given filled from a
        ``dataset.json`` beside the contacts when there is one (bin size else 5000); with a
        ``genome`` and no tracks, the folder's epigenome tracks."""
        for track in tracks:
            if not is_track(track):
                raise SettingError(
                    f"{track}: tracks must be bigWig (.bw) or bedGraph (.bedGraph, .bg, plain "
                    "or gzip) files, and the contacts come last; check {tracks}",
                    tracks=NAME_ONLY,
                )
        manifest = None if contacts is None else read_manifest(Path(contacts).parent)
        if manifest is not None:
            folder, files = Path(contacts).parent, manifest["files"]
            target = target or folder / files["cage"]
            genes = genes or folder / files["genes"]
            if bin_size is None:
                bin_size = int(manifest["bin_size"])
            if input_bin_size is None:
                input_bin_size = manifest.get("input_bin_size")
            if genome is not None and not tracks:
                tracks = [folder / f for f in files.get("epigenome", [files["dnase"]])]
        if genome is not None and not tracks:
            raise SettingError(
                "a sequence model needs the epigenome tracks it learns: give {epigenome}",
                epigenome=NAME_ONLY,
            )
        options = contact_options or ContactOptions()
        bin_size = 5000 if bin_size is None else bin_size
        return cls(list(tracks), contacts, target, genes, bin_size, input_bin_size, options, genome)


OPTIONAL_FIELDS = {  # Inputs fields stored in config.json only when not these defaults
    "bedgraph": "signal",
    "chrom_sizes": None,
    "target_column": None,
    "target_scale": "linear",
    "target_transform": "none",
}


def read_manifest(folder: Path) -> dict | None:
    """A simulate folder's ``dataset.json``, checked (:func:`check_manifest`), or None when
    the folder has none."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"is not valid JSON ({err}); rewrite it with graphreg simulate", path
        ) from None
    except OSError as err:
        raise InputError(f"cannot be read ({err.strerror})", path) from None
    check_manifest(data, path)
    return data


MANIFEST_FILES = ("dnase", "contacts", "cage", "genes")


def check_manifest(data, path: Path) -> None:
    """InputError (one line, naming ``path``) unless ``data`` has what graphreg reads from a
    ``dataset.json``: ``files`` naming the dnase, contacts, cage and genes files, a positive
    ``bin_size``, an ``input_bin_size`` dividing it (or none), and a ``split`` whose val
    and test lists share no chromosome."""

    def bad(problem: str) -> InputError:
        return InputError(f"{problem}; rewrite it with graphreg simulate", path)

    if not isinstance(data, dict):
        raise bad("is not a JSON object")
    files = data.get("files")
    if not isinstance(files, dict):
        raise bad("has no 'files' object")
    for key in MANIFEST_FILES:
        if not isinstance(files.get(key), str) or not files[key]:
            raise bad(f"'files' names no {key} file")
    size, fine = data.get("bin_size"), data.get("input_bin_size")
    if not _positive_int(size):
        raise bad(f"'bin_size' {size!r} is not a positive integer")
    if fine is not None and not (_positive_int(fine) and size % fine == 0):
        raise bad(f"'input_bin_size' {fine!r} is not a positive divisor of bin_size {size}")
    split = data.get("split", {})
    if not isinstance(split, dict) or not all(isinstance(split.get(p, []), list) for p in SPLITS):
        raise bad("'split' is not an object of chromosome lists (train, val, test)")
    both = set(split.get("val", [])) & set(split.get("test", []))
    if both:
        raise InputError(
            f"{sorted(both)[0]} is both a val and a test chromosome in 'split'; a chromosome "
            "belongs to one part only",
            path,
        )


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def last_sixths(n: int) -> tuple[int, int, int]:
    """``(train, val, test)`` counts of the default split: the last 1/6 of ``n`` chromosomes
    test, the 1/6 before them val (at least one each with 3 or more), the rest train."""
    k = max(1, round(n / 6)) if n >= 3 else 0
    return n - 2 * k, k, k


def find_split(
    inputs: Inputs, val: list[str] | None, test: list[str] | None, chroms: list[str]
) -> dict[str, str]:
    """``{chrom: train|val|test}``.

    Order of precedence: ``val``/``test`` chromosomes given; else ``dataset.json`` (from
    ``graphreg simulate``) or ``split.tsv`` (chrom<TAB>split) beside the contacts or the first
    track; else :func:`last_sixths` in file order. Chromosome names are matched to the
    tracks' (``chr1`` in a split, ``1`` in the tracks).
    """
    if val is not None or test is not None:
        return _named_split(chroms, val or [], test or [])
    folders = [inputs.tracks[0].parent]
    if inputs.contacts is not None:
        folders.insert(0, inputs.contacts.parent)
    for folder in dict.fromkeys(folders):
        manifest = read_manifest(folder)
        if manifest is not None:
            split = manifest.get("split", {})
            found = {c: part for part in SPLITS for c in split.get(part, [])}
            return _assign(found, chroms, folder / MANIFEST)
        table = folder / "split.tsv"
        if table.exists():
            return _assign(_split_table(table), chroms, table)
    n_train, n_val, _ = last_sixths(len(chroms))
    return {
        c: "train" if i < n_train else "val" if i < n_train + n_val else "test"
        for i, c in enumerate(chroms)
    }


def _assign(found: dict[str, str], chroms: list[str], source: Path) -> dict[str, str]:
    """``{chrom: part}`` for the tracks' chromosomes from a split under any naming; those
    the split does not name are trained on."""
    mapping = reconcile_names(found, chroms, source.name)
    found = {mapping.get(c, c): part for c, part in found.items()}
    held_out = [c for c, part in found.items() if part != "train"]
    if held_out and not any(c in chroms for c in held_out):
        logger.warning(
            f"{source}: none of its val/test chromosomes ({', '.join(held_out[:3])}) is among "
            f"the tracks' ({', '.join(chroms[:3])}, ...); every chromosome is trained on"
        )
    return {c: found.get(c, "train") for c in chroms}


def _named_split(chroms: list[str], val: list[str], test: list[str]) -> dict[str, str]:
    both = sorted(set(val) & set(test))
    if both:
        raise SettingError(
            f"{both[0]} is in both {{val_chroms}} and {{test_chroms}}; a chromosome belongs "
            "to one part only",
            val_chroms=val,
            test_chroms=test,
        )
    mapping = reconcile_names(val + test, chroms, "--val-chroms/--test-chroms")
    val = [mapping.get(c, c) for c in val]
    test = [mapping.get(c, c) for c in test]
    for name in val + test:
        if name not in chroms:
            where = "val_chroms" if name in val else "test_chroms"
            raise SettingError(
                f"{{{where}}}: {name} is not among the input chromosomes ({preview(chroms, 5)})",
                **{where: NAME_ONLY},
            )
    return {c: "val" if c in val else "test" if c in test else "train" for c in chroms}


def _split_table(table: Path) -> dict[str, str]:
    """``{chrom: part}`` from a ``split.tsv`` (chrom<TAB>train|val|test)."""
    found = {}
    for number, line in enumerate(table.read_text().splitlines(), 1):
        fields = line.split("\t")
        if len(fields) < 2 or fields[1] not in SPLITS:
            raise InputError("expecting 'chrom<TAB>train|val|test'", table, number)
        if fields[0] in found and found[fields[0]] != fields[1]:
            raise InputError(f"{fields[0]} is listed in two parts", table, number)
        found[fields[0]] = fields[1]
    return found
