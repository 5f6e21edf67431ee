"""The report's figures, drawn with matplotlib's Agg backend (no display needed) into PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

# One colour per mode, the same in every figure (colour-blind safe Okabe–Ito hues).
MODE_COLOURS = {"dense": "#0072B2", "lexical": "#E69F00", "hybrid": "#009E73"}
_FALLBACK = ("#CC79A7", "#56B4E9", "#D55E00", "#999999")


def _pyplot() -> ModuleType:  # matplotlib.pyplot, imported only when drawing
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colour(mode: str, i: int) -> str:
    return MODE_COLOURS.get(mode, _FALLBACK[i % len(_FALLBACK)])


def recall_at_k(per_mode: Mapping[str, Mapping[int, float]], path: Path, title: str) -> Path:
    """Grouped bars: recall@k for each k, one bar per mode, the value printed on each bar."""
    plt = _pyplot()
    ks = sorted({k for values in per_mode.values() for k in values})
    modes = list(per_mode)
    width = 0.8 / max(1, len(modes))
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    for i, mode in enumerate(modes):
        xs = [j + (i - (len(modes) - 1) / 2) * width for j in range(len(ks))]
        ys = [per_mode[mode].get(k, 0.0) for k in ks]
        bars = ax.bar(xs, ys, width * 0.95, label=mode, color=_colour(mode, i))
        ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=8, padding=2)
    ax.set_xticks(range(len(ks)), [f"@{k}" for k in ks])
    ax.set_xlabel("cut-off k")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1.12)
    ax.set_title(title)
    # Below the axes, so that it never hides a bar.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=max(1, len(modes)), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def confidence(
    per_mode: Mapping[str, tuple[Sequence[float], Sequence[float]]], threshold: float, path: Path
) -> Path:
    """Per mode, the confidence of answerable vs unanswerable questions, with the abstention threshold."""
    plt = _pyplot()
    modes = list(per_mode)
    fig, axes = plt.subplots(len(modes), 1, figsize=(7.5, 2.3 * len(modes) + 0.6), dpi=120, sharex=True, squeeze=False)
    high = max([1.0, *(v for pair in per_mode.values() for side in pair for v in side)])
    bins = [i * high / 40 for i in range(41)]
    for ax, mode in zip(axes[:, 0], modes, strict=True):
        answerable, unanswerable = per_mode[mode]
        for values, colour, label in ((answerable, "#0072B2", "answerable"), (unanswerable, "#D55E00", "unanswerable")):
            ax.hist(values, bins=bins, color=colour, alpha=0.35, histtype="stepfilled")
            ax.hist(values, bins=bins, color=colour, histtype="step", linewidth=1.5, label=f"{label} (n={len(values)})")
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2)
        ax.text(threshold, 0.97, f" answers from {threshold:.2f}", transform=ax.get_xaxis_transform(), va="top", fontsize=8)
        low = sum(v < threshold for v in answerable)
        high = sum(v >= threshold for v in unanswerable)
        ax.set_title(f"{mode}: {low} answerable below the threshold, {high} unanswerable at or above it", fontsize=10)
        ax.set_ylabel("questions")
        ax.legend(loc="upper left", fontsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[-1, 0].set_xlabel("SearchOutcome.confidence")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def latency(per_mode: Mapping[str, Sequence[float]], path: Path) -> Path:
    """Histogram of search latency per mode, log-spaced bins, with each mode's p50 and p99 marked."""
    import numpy as np

    plt = _pyplot()
    everything = [v for values in per_mode.values() for v in values if v > 0]
    low, high = (min(everything), max(everything)) if everything else (0.1, 1.0)
    bins = np.geomspace(max(low * 0.9, 0.01), high * 1.1 + 1e-9, 40)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), dpi=120)
    for i, (mode, values) in enumerate(per_mode.items()):
        colour = _colour(mode, i)
        if not values:
            continue
        p50, p99 = np.percentile(values, [50, 99])
        ax.hist(values, bins=bins, alpha=0.25, color=colour, histtype="stepfilled")
        ax.hist(values, bins=bins, color=colour, histtype="step", linewidth=1.5, label=f"{mode}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        ax.axvline(p50, color=colour, linestyle="-", linewidth=1)
        ax.axvline(p99, color=colour, linestyle=":", linewidth=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("search time per query, ms (log scale; solid line p50, dotted p99)")
    ax.set_ylabel("queries")
    ax.set_title("Search latency (SearchOutcome.took_ms)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
