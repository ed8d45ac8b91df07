"""Which elements drive each gene: model attributions and baselines for every candidate.

For every gene bin ``g`` the candidates are the bins in contact with it and, with ``window``,
the bins within ``window`` bins of it (at least ``min_distance`` away). Each method of
:mod:`graphreg_cli.tasks.attribution` scores every (gene, candidate) pair:

- ``saliency``: gradient x input of the gene's prediction, summed over the candidate's
  ``width`` bins and the input tracks (GraphReg's saliency);
- ``integrated_gradients``: the same with gradients averaged along the path from a
  zero-signal baseline to the input (does not saturate);
- ``deletion``: the gene's prediction minus its prediction with the candidate's ``width`` bins
  set to background in every track (``zero`` by default; see ``background``): positive =
  the element raises expression (enhancer), negative = it lowers it (silencer);
- ``abc``: activity x contact, normalised per gene (the ABC model): activity = the input
  signal over the candidate's bins — as the ABC model, the geometric mean of accessibility
  (the first track) and H3K27ac when a track is named so (``activity``), else the first
  track's — contact = the contact's score, or ``1 / distance`` (in bins) for window
  candidates without a contact;
- ``distance``: ``1 / distance``;
- ``attention`` (GAT models only; NaN otherwise): the attention the gene's bin pays the
  element's bin, averaged over heads and graph layers — an attention weight, not an
  attribution: it says where the model looks, not what the element does (no sign). A gene's
  attention over its contacts and itself sums to 1; window candidates without a contact get 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.errors import NAME_ONLY, SettingError, check_range
from graphreg_cli.models import GraphregModel
from graphreg_cli.tasks import attribution
from graphreg_cli.tasks.distributed import device_kind
from graphreg_cli.tasks.inference import pick_device
from graphreg_cli.tasks.ranking import METHODS
from graphreg_cli.tasks.runs import PARTS
from graphreg_cli.tasks.workers import balance, counter, map_parts

DEFAULT_WIDTH = GraphregModel.explain_width  # bins per element: 5, as GraphReg's saliency


@dataclass
class ExplainOptions:
    """``window``: also score bins within this many bins of each gene (0: contacts only);
    ``min_distance``: window candidates at least this far; ``width``: bins per element (0:
    the model's own, :func:`element_width`);
    ``batch_size``: perturbed copies per forward pass; ``background``: what a deleted
    element's tracks become (``zero``, ``median``, ``shuffle``); ``steps``: points on the
    integrated-gradients path; ``activity``: the tracks whose geometric mean is ABC's
    activity (empty: found from the run's track names by :func:`abc_tracks`); ``elements``:
    candidate elements (``chrom, start, end, name``) scored over their own span
    (:mod:`graphreg_cli.tasks.elements`) instead of bins."""

    window: int = 0
    min_distance: int = 3
    width: int = 0
    batch_size: int = 64
    background: str = "zero"
    steps: int = 8
    activity: tuple[int, ...] = ()
    elements: pd.DataFrame | None = None

    def check(self) -> None:
        """SettingError for options no explanation can use."""
        for name, low in (("window", 0), ("min_distance", 0), ("width", 0), ("batch_size", 1)):
            check_range(name, getattr(self, name), low=low)


def element_width(run) -> int:
    """Bins per element that ``run``'s model is explained with unless told: 1 for the
    additive model (its deletions sign elements best there, docs/explain.md), else
    :data:`DEFAULT_WIDTH`."""
    from graphreg_cli.models import REGISTRY

    model = REGISTRY.get(run.model_config.name)
    return getattr(model, "explain_width", DEFAULT_WIDTH)


def candidates(g: Data, window: int, min_distance: int) -> dict[int, dict[int, float]]:
    """``{gene bin: {candidate bin: contact score (0 when only in the window)}}``."""
    genes = torch.nonzero(g.gene_mask).flatten().tolist()
    src, dst = g.edge_index.tolist()
    weight = g.edge_weight.tolist()
    contacted: dict[int, dict[int, float]] = {gene: {} for gene in genes}
    for s, d, w in zip(src, dst, weight):
        if d in contacted and s != d:
            contacted[d][s] = max(w, contacted[d].get(s, 0.0))
    n = g.num_nodes
    for gene in genes:
        for b in range(max(0, gene - window), min(n, gene + window + 1)):
            if abs(b - gene) >= min_distance:
                contacted[gene].setdefault(b, 0.0)
    return contacted


def explain_graph(
    model, g: Data, ready: Data, n_tracks: int, options: ExplainOptions, device="cpu"
) -> pd.DataFrame:
    """Score every (gene, candidate) pair of one chromosome by every method.

    ``g``: the raw graph (``x: (n, n_tracks)`` raw signal for ABC); ``ready``: the model's
    input (``x: (n, F)``, tracks first). Returns one row per pair: ``chrom, gene_bin,
    element_bin, distance, contact`` and one column per method (``METHODS``).
    """
    model.eval()
    pairs = candidates(g, options.window, options.min_distance)
    rows = [(gene, b, w) for gene, cands in pairs.items() for b, w in sorted(cands.items())]
    if not rows:
        return _no_scores()
    genes = np.array([r[0] for r in rows])
    elements = np.array([r[1] for r in rows])
    contact = np.array([r[2] for r in rows], dtype=np.float64)
    ready = ready.to(device)
    width, steps = options.width or getattr(model, "explain_width", DEFAULT_WIDTH), options.steps
    tracks = n_tracks
    return pd.DataFrame(
        {
            "chrom": g.chrom,
            "gene_bin": genes,
            "element_bin": elements,
            "distance": np.abs(elements - genes),
            "contact": contact,
            "saliency": attribution.saliency(model, ready, genes, elements, tracks, width),
            "integrated_gradients": attribution.integrated_gradients(
                model, ready, genes, elements, tracks, width, steps
            ),
            "deletion": attribution.deletion(
                model, ready, genes, elements, tracks, width, options.batch_size, options.background
            ),
            "abc": attribution.abc(
                activity_signal(g.x.numpy(), options.activity), genes, elements, contact, width
            ),
            "inverse_distance": attribution.inverse_distance(genes, elements),
            "attention": attribution.attention(model, ready, genes, elements),
        }
    )


def abc_tracks(names: list[str]) -> tuple[int, ...]:
    """ABC's activity tracks among ``names`` (file names, accessibility first): the first
    and the first whose name holds ``h3k27ac`` (the ABC model's sqrt(DNase x H3K27ac)), else
    the first alone."""
    marked = [i for i, name in enumerate(names) if "h3k27ac" in name.lower() and i]
    return (0, marked[0]) if marked else (0,)


def activity_signal(x: np.ndarray, tracks: tuple[int, ...]) -> np.ndarray:
    """``x: (n, [pool,] n_tracks)`` raw signal → ``(n, [pool])`` float64: the one track of
    ``tracks`` as it is, or the geometric mean of several (negative values count as 0)."""
    picked = x[..., list(tracks or (0,))].astype(np.float64)
    if picked.shape[-1] == 1:
        return picked[..., 0]
    return np.prod(np.clip(picked, 0, None), axis=-1) ** (1 / picked.shape[-1])


def explain_windows(
    model,
    g: Data,
    ready: Data,
    n_tracks: int,
    options: ExplainOptions,
    tiling: Tiling,
    device,
    bin_size: int = 0,
) -> pd.DataFrame:
    """:func:`explain_graph` window by window, as the model was trained: each gene is
    explained in the window that owns it, from what that window holds — elements beyond it
    are not candidates, as the model never saw them — and bins are mapped back to the
    chromosome. Memory stays that of one window. ``bin_size`` (bp): the graph's, needed to
    place ``options.elements``."""
    frames = []
    margin = getattr(model, "margin", 0)
    elements = None
    if options.elements is not None:
        elements = options.elements[options.elements["chrom"] == g.chrom]
    for raw, windowed in zip(tile(g, tiling), tile(ready, tiling, margin)):
        raw.gene_mask = raw.gene_mask & raw.own
        if elements is None:
            scores = explain_graph(model, raw, windowed, n_tracks, options, device)
        else:
            scores = explain_elements(
                model, raw, windowed, n_tracks, options, device, elements, bin_size
            )
        if len(scores):
            scores["chrom"] = g.chrom
            scores["gene_bin"] += raw.start
            scores["element_bin"] += raw.start
            frames.append(scores)
    if frames:
        return pd.concat(frames, ignore_index=True)
    return _no_scores(elements is not None)


ELEMENT_COLUMNS = ["element_start", "element_end", "element_name"]
ELEMENT_REACH_BP = 1_000_000  # with elements and no window: elements this far from a gene


def _no_scores(elements: bool = False) -> pd.DataFrame:
    """The columns of :func:`explain_graph` (or :func:`explain_elements`), no rows."""
    own = ELEMENT_COLUMNS if elements else []
    return pd.DataFrame(
        columns=[
            "chrom",
            "gene_bin",
            "element_bin",
            *own,
            "distance",
            "contact",
            *METHODS.values(),
        ]  # fmt: skip
    )


def explain_elements(
    model,
    g: Data,
    ready: Data,
    n_tracks: int,
    options: ExplainOptions,
    device,
    elements: pd.DataFrame,
    bin_size: int,
) -> pd.DataFrame:
    """Score every (gene, element) pair of one window, each element over its own span
    (:mod:`graphreg_cli.tasks.elements`): ``elements`` (``start, end, name``, bp on the
    chromosome) on the gene's candidate bins — its contacts and the bins within ``window``,
    its own bin included. Columns as :func:`explain_graph`'s plus ``element_start,
    element_end, element_name``; ``element_bin``: the bin of the element's centre."""
    from graphreg_cli.tasks import elements as by_span

    model.eval()
    n = g.num_nodes
    pool = g.x.shape[1] if g.x.dim() == 3 else 1
    start_bp = int(getattr(g, "start", 0)) * bin_size
    end_bp = start_bp + n * bin_size
    inside = elements[(elements["end"] > start_bp) & (elements["start"] < end_bp)]
    masks = by_span.element_masks(inside, start_bp, n, pool, bin_size // pool)
    pairs = candidates(g, options.window, 0)
    by_node: dict[int, list[int]] = {}
    for k, mask in enumerate(masks):
        if mask is not None:
            for b in range(mask.lo, mask.hi):
                by_node.setdefault(b, []).append(k)
    rows = []
    for gene, cands in pairs.items():
        found: dict[int, float] = {}
        for b in [gene, *cands]:
            for k in by_node.get(b, []):
                found[k] = max(found.get(k, 0.0), cands.get(b, 0.0))
        rows += [(gene, k, w) for k, w in sorted(found.items())]
    if not rows:
        return _no_scores(True)
    genes = np.array([r[0] for r in rows])
    which = np.array([r[1] for r in rows])
    contact = np.array([r[2] for r in rows], dtype=np.float64)
    centre = (inside["start"].to_numpy() + inside["end"].to_numpy()) // 2 - start_bp
    element_bin = np.clip(centre // bin_size, 0, n - 1)[which]
    distance = np.abs(element_bin - genes)
    ready = ready.to(device)
    raw = activity_signal(g.x.numpy(), options.activity)
    return pd.DataFrame(
        {
            "chrom": g.chrom,
            "gene_bin": genes,
            "element_bin": element_bin,
            "element_start": inside["start"].to_numpy()[which],
            "element_end": inside["end"].to_numpy()[which],
            "element_name": inside["name"].to_numpy()[which],
            "distance": distance,
            "contact": contact,
            "saliency": by_span.saliency(model, ready, genes, which, masks, n_tracks),
            "integrated_gradients": by_span.integrated_gradients(
                model, ready, genes, which, masks, n_tracks, options.steps
            ),
            "deletion": by_span.deletion(
                model,
                ready,
                genes,
                which,
                masks,
                n_tracks,
                options.batch_size,
                options.background,
            ),  # fmt: skip
            "abc": by_span.abc(raw, genes, which, masks, contact, distance.astype(np.float64)),
            "inverse_distance": attribution.inverse_distance(genes, element_bin),
            "attention": by_span.attention(model, ready, genes, which, masks),
        }
    )


def explain(
    run,
    split: str = "all",
    genes=None,
    device: str = "auto",
    options: ExplainOptions | None = None,
    progress=None,
    devices: int = 1,
) -> pd.DataFrame:
    """Scores of every (gene, candidate) pair on the run's chromosomes of ``split``, with the
    gene's name (``gene_name``); ``genes`` replace the run's annotation. ``progress(done,
    total)`` is called per chromosome; ``devices > 1`` spreads the chromosomes over that
    many worker processes (rows stay in the run's chromosome order)."""
    from graphreg_cli.data.genes import gene_names

    if split not in PARTS:
        raise SettingError(f"{{split}}: choose {', '.join(PARTS)}", split=split)
    options = options or ExplainOptions()
    options.check()
    recorded = run.inputs
    if not options.activity:
        options = replace(options, activity=abc_tracks([Path(t).name for t in recorded.tracks]))
    if not options.width:
        options = replace(options, width=element_width(run))
    genes = genes or recorded.genes
    if genes is None:
        raise SettingError("explaining needs gene bins: give {genes}", genes=NAME_ONLY)
    if options.elements is not None and not options.window:  # elements within 1 Mb
        options = replace(options, window=max(1, ELEMENT_REACH_BP // recorded.bin_size))
    wanted = run.chromosomes(split)
    if not wanted:
        raise SettingError(f"{{split}}: the run has no {split} chromosome", split=split)
    kind = device_kind(devices, device)
    args = (run, genes, options)
    if devices == 1:
        frames = explain_part(wanted, pick_device(device), *args, counter(progress, len(wanted)))
    else:
        sizes = {c: n for c, n in recorded.sizes().items() if c in wanted}
        parts = map_parts(explain_part, balance(sizes, devices), kind, args, progress, len(wanted))
        found = {chrom: frame for part in parts for chrom, frame in part.items()}
        frames = {c: found[c] for c in wanted if c in found}
    scores = pd.concat(list(frames.values()), ignore_index=True)
    names = gene_names(
        genes, recorded.sizes(), recorded.bin_size, recorded.gene_types, recorded.tss
    )
    scores.insert(
        1,
        "gene_name",
        [names.get((c, int(b)), f"{c}:{b}") for c, b in zip(scores["chrom"], scores["gene_bin"])],
    )
    return scores


def explain_part(chromosomes, device, run, genes, options, step=None) -> dict[str, pd.DataFrame]:
    """:func:`explain_windows` of each of ``chromosomes`` on ``device`` in this process:
    ``{chrom: scores}``; ``step()`` after each."""
    recorded = run.inputs
    model = run.model(device)  # a damaged run fails before the inputs are read
    graphs, ready = run.load(chromosomes, replace(recorded, genes=genes))
    frames = {}
    for g, r in zip(graphs, ready):
        n_tracks = len(recorded.tracks)
        frames[g.chrom] = explain_windows(
            model, g, r, n_tracks, options, run.tiling, device, recorded.bin_size
        )
        if step:
            step()
    return frames


def e2g_map(run, scores: pd.DataFrame, genes=None, method: str = "saliency", cell_type="unknown"):
    """:func:`explain`'s scores as an enhancer–gene map in the ENCODE-rE2G format
    (:func:`graphreg_cli.tasks.elements.to_e2g`): ``Score`` from ``method``, a column per
    method with scores (attention only for models that have it)."""
    from graphreg_cli.data.genes import gene_tss
    from graphreg_cli.tasks.elements import to_e2g

    recorded = run.inputs
    table = gene_tss(genes or recorded.genes, recorded.sizes(), recorded.gene_types, recorded.tss)
    methods = {m: c for m, c in METHODS.items() if c in scores and not scores[c].isna().all()}
    if method not in methods:
        raise SettingError("{method}: the run's model has none; pick another", method=method)
    return to_e2g(scores, table, recorded.bin_size, METHODS[method], methods, cell_type)
