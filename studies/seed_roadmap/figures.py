"""Figures of the seed-roadmap study, in the house style of :mod:`uncertainty.plot.style`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from uncertainty.plot import style as fs  # noqa: E402

GROWTHS = ("low", "medium", "high")
SINKS = (1.0, 2.0, 3.0)
FUEL_LABEL = {"coal": "coal", "oil": "oil", "gas": "natural gas", "nonfossil": "non-fossil"}
SECTOR_LABEL = {
    "power": "power",
    "heat": "district heat",
    "steel": "iron and steel",
    "cement": "cement",
    "chemicals": "chemicals",
    "nonferrous": "non-ferrous",
    "other_industry": "other industry",
    "transport": "transport",
    "buildings": "buildings",
    "supply": "fuel supply",
}


def co2_paths(outs: dict, directory: Path) -> list[Path]:
    """CO2 paths of the nine scenarios, history off (left) and on (right)."""
    with fs.style():
        fig, axes = plt.subplots(1, 2, figsize=(fs.WIDTH_2, 3.6), sharey=True)
        for ax, history in zip(axes, (False, True), strict=True):
            for i, growth in enumerate(GROWTHS):
                for j, sink in enumerate(SINKS):
                    out = outs[(history, growth, sink)]
                    ax.plot(
                        out.year,
                        out.co2,
                        color=fs.color(i),
                        linestyle=fs.linestyle(j),
                        label=f"{growth}, sink {sink:.0f} Gt",
                    )
            ax.axhspan(11.7, 12.7, color="0.85", zorder=0, label="seed peak range")
            ax.set_title("history off (data to 2020)" if not history else "history 2021-2024 on")
            ax.set_xlabel("year")
            ax.set_xlim(2020, 2060)
        axes[0].set_ylabel(fs.label("gross CO2 after capture", "GtCO2/yr"))
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, ncol=5, loc="lower center", fontsize=6)
        fig.tight_layout(rect=(0, 0.17, 1, 1))
        paths = fs.save(fig, directory, "co2_paths")
        plt.close(fig)
    return paths


def energy_mix(out, directory: Path) -> list[Path]:
    """Primary energy by fuel of the medium, 2 Gt scenario (history off)."""
    with fs.style():
        fig, ax = plt.subplots(figsize=(fs.WIDTH_1 * 1.3, 2.8))
        pe = out.primary_energy
        base = np.zeros(len(out.year))
        for i, fuel in enumerate(("coal", "oil", "gas", "nonfossil")):
            values = pe.sel(fuel=fuel).values
            ax.fill_between(
                out.year,
                base,
                base + values,
                facecolor=fs.color(i),
                hatch=fs.hatch(i),
                edgecolor="white",
                linewidth=0.3,
                label=FUEL_LABEL[fuel],
            )
            base = base + values
        ax.set_xlim(2020, 2060)
        ax.set_xlabel("year")
        ax.set_ylabel(fs.label("primary energy (coal-equivalent)", "Gtce/yr"))
        ax.set_title("medium growth, sink 2 Gt, history off")
        ax.legend(loc="upper right", ncol=4, fontsize=6)
        fig.tight_layout()
        paths = fs.save(fig, directory, "primary_energy_medium")
        plt.close(fig)
    return paths


def residuals(outs: dict, directory: Path) -> list[Path]:
    """2060 gross direct CO2 by sector for the three growth scenarios (sink 2 Gt, history off)."""
    with fs.style():
        fig, ax = plt.subplots(figsize=(fs.WIDTH_1 * 1.3, 2.8))
        sectors = list(SECTOR_LABEL)
        x = np.arange(len(sectors))
        width = 0.27
        for i, growth in enumerate(GROWTHS):
            sec = outs[(False, growth, 2.0)].co2_by_sector.sel(year=2060)
            values = [float(sec.sel(sector=s)) if s in sec.sector else 0.0 for s in sectors]
            ax.bar(
                x + (i - 1) * width,
                values,
                width,
                color=fs.color(i),
                hatch=fs.hatch(i),
                edgecolor="black",
                linewidth=0.3,
                label=f"{growth} growth",
            )
        ax.set_xticks(x, [SECTOR_LABEL[s] for s in sectors], rotation=45, ha="right")
        ax.set_ylabel(fs.label("2060 direct CO2", "GtCO2/yr"))
        ax.set_title("2060 residual emitters (sink 2 Gt, history off)")
        ax.legend()
        fig.tight_layout()
        paths = fs.save(fig, directory, "residuals_2060")
        plt.close(fig)
    return paths


def plot_all(outs: dict, directory: Path) -> list[Path]:
    """All figures of the study; returns the written paths."""
    return (
        co2_paths(outs, directory)
        + energy_mix(outs[(False, "medium", 2.0)], directory)
        + residuals(outs, directory)
    )
