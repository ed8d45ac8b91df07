"""How well could *any* explanation get the signs right on the simulated benchmark?

Three bounds on ``simulate --silencers 10 --histone`` (test chromosomes unless said), no model
trained:

1. **Visible elements.** The share of enhancer and silencer links whose element has more
   signal (DNase + H3K27ac + H3K27me3 over its 9 bins) than 90% / 99% of stretches holding no
   element. Deleting an element that is not there changes nothing, so an attribution that
   reads the element's signal (deletion, gradient x input, integrated gradients) cannot
   give such a link a reliable sign.
2. **A classifier told the answers.** A small network trained on the *labels* (enhancer or
   silencer; with decoys: silencer or not) from the three tracks over each contacted
   element's 11 bins, trained on the training chromosomes: its share of signs right and its
   signed silencer AUPRC on the test chromosomes. Models trained on CAGE learn the signs
   only indirectly, so this is an upper bound in practice, not a target.
3. **A perfect attribution that is 0 where nothing is visible**: visible silencer links
   first, every other candidate after them in random order — its signed silencer AUPRC
   (with decoys).
4. **Regulator decoys** (``--decoy-partners regulators``, the default: a decoy joins a gene
   to another gene's enhancer or silencer): an attribution that knows every element's kind
   and weighs each contact by its score — what tells a decoy from a link there — ranks the
   silencer candidates by score; its signed silencer AUPRC.
5. **Inactive peaks on regulators**: with ``--decoy-partners inactive`` and no
   ``--decoy-spacing``, the share of enhancers and silencers with an inactive element
   within 4 bins, whose peak (2 bins each side, smoothed over 5) reaches the regulator's own
   bin.

    python benchmarks/explain_bounds.py [--silencer-signal weaker|visible|same] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from graphreg_cli.api import simulate
from graphreg_cli.tasks.ranking import average_precision as auprc

HALF = 4  # element: 9 bins
WINDOW = 5  # classifier input: 11 bins
TRACKS = ("h3k27ac", "h3k27me3")


def tracks(c) -> np.ndarray:
    """``(3, bins)``: DNase and the two marks of chromosome ``c``."""
    return np.stack([c.dnase, *(c.marks[m] for m in TRACKS)])


def pairs(data, parts: tuple[str, ...]):
    """``(gene, element, sign, chromosome)`` of every contact on the chromosomes of ``parts``;
    sign 0 for a decoy."""
    split = data.split_of()
    for c in data.chromosomes:
        if split[c.name] not in parts:
            continue
        signs = {(int(r), int(g)): int(s) for r, g, s in c.links}
        genes = set(c.gene_bins.tolist())
        for a, b in c.contacts:
            gene, element = (int(a), int(b)) if int(a) in genes else (int(b), int(a))
            yield gene, element, signs.get((element, gene), 0), c


def element_signal(c) -> np.ndarray:
    """``(bins,)``: the three tracks summed over the 9 bins around each bin."""
    return np.convolve(tracks(c).sum(0), np.ones(2 * HALF + 1), "same")


def empty_cuts(data, quantiles: tuple[float, ...]) -> list[float]:
    """The ``quantiles`` of :func:`element_signal` over bins with no element within 12 bins."""
    background = []
    for c in data.chromosomes:
        busy = np.zeros(len(c.dnase), dtype=bool)
        elements = (c.gene_bins, c.enhancer_bins, c.silencer_bins, c.inactive_bins)
        for b in np.concatenate(elements):
            busy[max(0, b - 3 * HALF) : b + 3 * HALF + 1] = True
        background.append(element_signal(c)[~busy])
    return [float(q) for q in np.quantile(np.concatenate(background), quantiles)]


def visible(data, quantiles=(0.9,)) -> tuple[list[np.ndarray], np.ndarray]:
    """Per test contact (:func:`pairs` order) and quantile: whether its element's signal beats
    that quantile of empty stretches; and the contacts' signs."""
    signals = {c.name: element_signal(c) for c in data.chromosomes}
    found = [(signals[c.name][e], sign) for _, e, sign, c in pairs(data, ("test",))]
    values, signs = np.array([v for v, _ in found]), np.array([s for _, s in found])
    return [values > cut for cut in empty_cuts(data, quantiles)], signs


def windows(data, parts) -> tuple[np.ndarray, np.ndarray]:
    """Classifier inputs ``(pairs, 33)``: log1p of the tracks over each element's 11 bins,
    each track scaled by its mean; and the signs ``(pairs,)``."""
    scale = np.mean([tracks(c).mean(1) for c in data.chromosomes], axis=0)[:, None]
    padded = {
        c.name: np.log1p(np.pad(tracks(c) / scale, ((0, 0), (WINDOW, WINDOW))))
        for c in data.chromosomes
    }
    x, y = [], []
    for _, element, sign, c in pairs(data, parts):
        x.append(padded[c.name][:, element : element + 2 * WINDOW + 1].ravel())
        y.append(sign)
    return np.asarray(x, dtype=np.float32), np.asarray(y)


def told_classifier(data, target: int, seed: int):
    """A network trained on the training chromosomes' labels (``sign == target``); returns
    its scores on the test chromosomes and their signs."""
    x, y = windows(data, ("train", "val"))
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)
    )
    optimiser = torch.optim.Adam(net.parameters(), 1e-2, weight_decay=1e-3)
    inputs, labels = torch.from_numpy(x), torch.from_numpy((y == target).astype(np.float32))
    for _ in range(1500):
        optimiser.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(inputs)[:, 0], labels)
        loss.backward()
        optimiser.step()
    test_x, test_y = windows(data, ("test",))
    with torch.no_grad():
        return net(torch.from_numpy(test_x))[:, 0].numpy(), test_y


def regulator_decoy_bound(data) -> float:
    """Bound 4: the signed silencer AUPRC of ranking the test contacts to silencers by their
    score (every other contact last)."""
    split, scores, labels = data.split_of(), [], []
    for c in data.chromosomes:
        if split[c.name] != "test":
            continue
        signs = {(int(r), int(g)): int(s) for r, g, s in c.links}
        genes, silencers = set(c.gene_bins.tolist()), set(c.silencer_bins.tolist())
        for (a, b), score in zip(c.contacts.tolist(), c.contact_scores.tolist()):
            gene, element = (a, b) if a in genes else (b, a)
            scores.append(score if element in silencers else -1.0)
            labels.append(signs.get((element, gene), 0) == -1)
    return auprc(np.asarray(scores, dtype=np.float64), np.asarray(labels))


def shared_peaks(data, reach: int = 4) -> float:
    """Bound 5: the share of regulators with an inactive element within ``reach`` bins."""
    near = total = 0
    for c in data.chromosomes:
        regulators = np.concatenate([c.enhancer_bins, c.silencer_bins])
        gaps = np.abs(regulators[:, None] - c.inactive_bins[None, :]).min(1)
        near, total = near + int((gaps <= reach).sum()), total + len(regulators)
    return near / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silencer-signal", default="weaker")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        "| seed | links visible above 90% / 99% of empty stretches: enhancers | silencers "
        "| classifier told the answers: enhancers + | silencers − | signed silencer AUPRC, "
        "100 decoys: classifier | perfect attribution, 0 where nothing is visible "
        "| regulator decoys: perfect signs x contact score | regulators an inactive peak "
        "reaches |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed in map(int, args.seeds.split(",")):
        common = dict(silencers=10, histone=True, seed=seed, silencer_signal=args.silencer_signal)
        plain = simulate(**common)
        (v90, v99), kinds = visible(plain, (0.9, 0.99))
        score, sign = told_classifier(plain, 1, seed)
        enhancers, silencers = (score[sign == 1] > 0).mean(), (score[sign == -1] <= 0).mean()
        decoyed = simulate(**common, decoy_contacts=100, decoy_partners="inactive")
        score, sign = told_classifier(decoyed, -1, seed)
        told = auprc(score, sign == -1)
        (seen,), _ = visible(decoyed)
        rng = np.random.default_rng(seed)
        perfect = auprc(np.where(seen & (sign == -1), 2.0, 0.0) + rng.random(len(sign)), sign == -1)
        scored = regulator_decoy_bound(simulate(**common, decoy_contacts=100))
        print(
            f"| {seed} | {v90[kinds == 1].mean():.1%} / {v99[kinds == 1].mean():.1%} "
            f"| {v90[kinds == -1].mean():.1%} / {v99[kinds == -1].mean():.1%} "
            f"| {enhancers:.1%} | {silencers:.1%} | {told:.3f} | {perfect:.3f} "
            f"| {scored:.3f} | {shared_peaks(decoyed):.1%} |"
        )


if __name__ == "__main__":
    main()
