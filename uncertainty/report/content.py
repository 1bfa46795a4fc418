"""What a study's report shows, gathered from its results folder as plain data.

Everything comes from files the other commands wrote (``manifest.json``, the analysis tables,
``figures/*.png``, ``failures.jsonl``, the store's status); nothing is recomputed except the
plain-words readings and the convergence verdicts below, which are documented rules over the
tables.
"""

from __future__ import annotations

import base64
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uncertainty.store.format import FAILURES, MANIFEST, Status

#: a convergence verdict: the widest 95 % half-width of ST at the largest N at most this ...
CONVERGED_CONF = 0.1
#: ... and the same TOP parameters, in the same order, at the two largest N
CONVERGED_TOP = 3
#: figure sections, in page order: (key, title, file-name prefixes)
FIGURE_SECTIONS = (
    ("distributions", "Distributions", ("event_", "fan_", "milestones_", "cdf_")),
    ("sensitivity", "Sensitivity", ("sobol_", "pawn_", "morris_", "scatter_")),
    ("discovery", "Scenario discovery", ("discover_",)),
    ("convergence", "Convergence", ("convergence_",)),
    ("failures", "Failures", ("failures",)),
)


@dataclass
class Figure:
    """One embedded figure: its file name, a caption and the PNG as a data URI."""

    name: str
    caption: str
    uri: str


@dataclass
class Content:
    """Everything the report template shows."""

    title: str
    description: str
    question: str
    headline: list[dict[str, Any]]
    readings: list[str]
    figures: dict[str, list[Figure]]
    boxes: list[dict[str, Any]]
    convergence: list[dict[str, Any]]
    status_counts: list[dict[str, Any]]
    failure_kinds: list[dict[str, Any]]
    provenance: list[tuple[str, str]]
    study_text: str
    commands: list[str]
    sections: list[tuple[str, str]] = field(default_factory=list)


def gather(out: Path) -> Content:
    """Read a results folder into a :class:`Content`."""
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text())
    study = tomllib.loads(manifest.get("study_text") or "").get("study", {})
    name = manifest["study"]["name"]
    tables = {t: _csv(out / f"{t}.csv") for t in ("probabilities", "sobol", "sobol_time")}
    ds = _store(out)  # once: open_results loads the whole store into memory
    declared = declared_probabilities(tables["probabilities"], ds)
    content = Content(
        title=name,
        description=study.get("description", ""),
        question=study.get("question", "") or _question(declared),
        headline=headline(declared),
        readings=readings(tables["sobol"], tables["sobol_time"]),
        figures=figures(out),
        boxes=boxes(out),
        convergence=convergence_verdicts(_csv(out / "convergence.csv")),
        status_counts=status_counts(ds),
        failure_kinds=failure_kinds(out),
        provenance=provenance(manifest, ds),
        study_text=manifest.get("study_text") or "",
        commands=commands(manifest, out),
    )
    content.sections = _sections(content)
    return content


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def declared_probabilities(probabilities: pd.DataFrame | None, ds: Any) -> pd.DataFrame | None:
    """The rows of ``probabilities.csv`` the study declares (``[analysis] probabilities`` of the
    store ``ds``; not the event-time rows), over all samples (no group); every ungrouped row
    when the store is gone."""
    if probabilities is None:
        return None
    rows = probabilities[probabilities.group_parameter.isna()]
    if ds is None:
        return rows
    from uncertainty.analysis.spec import load_analysis_spec

    labels = [p.label for p in load_analysis_spec(ds).probabilities]
    return rows[rows.statement.isin(labels)]


def _question(declared: pd.DataFrame | None) -> str:
    if declared is None or declared.empty:
        return ""
    statements = list(dict.fromkeys(declared.statement))
    return "How likely is " + ", ".join(statements) + ", and which inputs drive it?"


def headline(rows: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The declared probabilities over all samples, as in ``probabilities.csv``."""
    if rows is None:
        return []
    return [
        {
            "statement": r.statement,
            "p": _number(r.p),
            "low": _number(r.p_conf_low),
            "high": _number(r.p_conf_high),
            "n": int(r.n),
            "excluded": int(r.n_excluded),
            "censored": int(r.n_censored),
        }
        for r in rows.itertuples()
    ]


def _number(value: float) -> str:
    """A probability as printed in the report (3 decimals, as ``netua study`` prints them)."""
    return "" if value is None or math.isnan(float(value)) else f"{float(value):.3f}"


def readings(sobol: pd.DataFrame | None, sobol_time: pd.DataFrame | None) -> list[str]:
    """One sentence per output: the input with the largest total index, with its interval.

    "explains most of the spread" when its ST is at least 0.5, else "matters most"; the
    time-resolved indices are read at 2030 and 2060 (when present). A reading whose interval is
    wider than +-:data:`CONVERGED_CONF` says so (the design is too small to rank it firmly).
    """
    lines = []
    frames = []
    if sobol is not None:
        frames += [(str(o), g) for o, g in sobol.groupby("output", sort=False)]
    if sobol_time is not None:
        for year in (2030, 2060):
            rows = sobol_time[sobol_time.year == year]
            frames += [(f"{year} {o}", g) for o, g in rows.groupby("output", sort=False)]
    for label, rows in frames:
        rows = rows.dropna(subset=["ST"])
        if rows.empty:
            continue
        top = rows.loc[rows.ST.idxmax()]
        verb = "explains most of the spread of" if top.ST >= 0.5 else "matters most for"
        wide = (top.ST_conf_high - top.ST_conf_low) / 2 > CONVERGED_CONF
        lines.append(
            f"{top.parameter} {verb} the {label} "
            f"(ST {top.ST:.2f} [{top.ST_conf_low:.2f}, {top.ST_conf_high:.2f}])"
            + ("; the interval is wide: grow N before relying on it" if wide else "")
        )
    return lines


def figures(out: Path) -> dict[str, list[Figure]]:
    """Every PNG of ``figures/``, by section and within it in the order of the section's
    prefixes (Sobol bars and time-resolved indices before PAWN, Morris and scatter plots),
    embedded as a data URI."""
    found: dict[str, list[tuple[int, Figure]]] = {key: [] for key, _, _ in FIGURE_SECTIONS}
    folder = out / "figures"
    for path in sorted(folder.glob("*.png")) if folder.is_dir() else []:
        place = _section_of(path.name)
        if place is None:
            continue
        key, rank = place
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = path.stem.replace("_", " ")
        found[key].append((rank, Figure(path.name, caption, f"data:image/png;base64,{data}")))
    return {key: [f for _, f in sorted(items, key=lambda t: t[0])] for key, items in found.items()}


def _section_of(name: str) -> tuple[str, int] | None:
    """(section key, rank of the matching prefix) of a figure file name, None if no section."""
    for key, _, prefixes in FIGURE_SECTIONS:
        for rank, prefix in enumerate(prefixes):
            if name.startswith(prefix):
                return key, rank
    return None


def boxes(out: Path) -> list[dict[str, Any]]:
    """Scenario-discovery boxes (``box_<name>.csv``): restricted inputs, coverage, density."""
    found = []
    for path in sorted(out.glob("box_*.csv")):
        table = pd.read_csv(path)
        if table.empty:
            continue
        first = table.iloc[0]
        found.append(
            {
                "name": path.stem.removeprefix("box_"),
                "coverage": f"{float(first.coverage):.2f}",
                "density": f"{float(first.density):.2f}",
                "rows": [_box_row(r) for r in table.itertuples()],
            }
        )
    return found


def _box_row(row: Any) -> dict[str, str]:
    categories = getattr(row, "categories", None)
    if isinstance(categories, str) and categories:
        limits = categories
    else:
        limits = f"{float(row.lower):.4g} to {float(row.upper):.4g}"
    return {"parameter": str(row.parameter), "limits": limits}


def convergence_verdicts(table: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Per output: converged when at the largest N every ST's 95 % half-width is at most
    :data:`CONVERGED_CONF` and the :data:`CONVERGED_TOP` largest ST are the same parameters in
    the same order as at the previous N."""
    if table is None or table.empty:
        return []
    verdicts = []
    for output, rows in table.groupby("output", sort=False):
        sizes = sorted(rows.n_base.unique())
        last = rows[rows.n_base == sizes[-1]]
        width = float(last.ST_conf.max())
        top = list(last.sort_values("ST", ascending=False).parameter[:CONVERGED_TOP])
        same = None
        if len(sizes) > 1:
            before = rows[rows.n_base == sizes[-2]].sort_values("ST", ascending=False)
            same = list(before.parameter[:CONVERGED_TOP]) == top
        reasons = []
        if not width <= CONVERGED_CONF:
            reasons.append(f"ST half-width up to {width:.2f} (> {CONVERGED_CONF})")
        if same is False:
            reasons.append(f"top {CONVERGED_TOP} changed from N = {sizes[-2]}")
        if same is None:
            reasons.append("one N only")
        verdicts.append(
            {
                "output": str(output),
                "n_base": int(sizes[-1]),
                "width": f"{width:.3f}",
                "top": ", ".join(top),
                "verdict": "converged" if not reasons else "not yet: " + "; ".join(reasons),
            }
        )
    return verdicts


def _store(out: Path) -> Any:
    from uncertainty.store import open_results

    try:
        return open_results(out)
    except Exception:  # a report of tables whose store was removed (it is git-ignored)
        return None


def status_counts(ds: Any) -> list[dict[str, Any]]:
    """Samples by status (from the store ``ds``, None when it is gone)."""
    if ds is None:
        return []
    codes = pd.Series(ds["status"].values).value_counts()
    return [
        {"status": Status(int(code)).name.lower(), "count": int(count)}
        for code, count in sorted(codes.items())
    ]


def failure_kinds(out: Path) -> list[dict[str, Any]]:
    """Failed samples by kind: status and the first words of the message."""
    path = out / FAILURES
    if not path.is_file():
        return []
    kinds: dict[tuple[str, str], int] = {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line (store/guard.py)
        status = Status(int(record.get("status", 0))).name.lower()
        kind = str(record.get("message", "")).split(":")[0][:80]
        kinds[(status, kind)] = kinds.get((status, kind), 0) + 1
    return [{"status": s, "kind": k, "count": c} for (s, k), c in sorted(kinds.items())]


def provenance(manifest: dict[str, Any], ds: Any = None) -> list[tuple[str, str]]:
    """How the results were made: design, seed, data hash, code, packages, sittings (backend,
    workers) and the time spent evaluating samples (the store's ``elapsed``)."""
    study = manifest.get("study", {})
    code = manifest.get("code", {})
    packages = manifest.get("packages", {})
    rows = [
        ("study file", str(manifest.get("study_file"))),
        ("design", f"{study.get('sampler')}, n = {study.get('n')}, "
                   f"{manifest.get('n_samples')} samples"),
        ("seed", str(manifest.get("seed"))),
        ("design fingerprint", str(manifest.get("design_fingerprint"))),
        ("model", str(study.get("model"))),
        ("model data hash", str(manifest.get("model_data_hash"))),
        ("git commit", str(code.get("git_commit"))),
        ("netua version", str(code.get("netua_version"))),
        ("packages", ", ".join(f"{k} {v}" for k, v in packages.items())),
        ("created", str(manifest.get("created"))),
        ("resumed", "; ".join(_resumed(r) for r in manifest.get("resumed", [])) or "never"),
    ]  # fmt: skip
    sittings = manifest.get("sittings", [])
    if sittings:
        rows.append(("sittings", "; ".join(
            f"{s['started']}: {s['backend']}, {s['workers']} workers, {s['pending']} samples to do"
            for s in sittings
        )))  # fmt: skip
    if ds is not None and "elapsed" in ds:
        seconds = float(np.nansum(ds["elapsed"].values))
        rows.append(("sample evaluation", f"{seconds / 3600:.2f} h in total (sum over samples)"))
    return rows


def _resumed(record: Any) -> str:
    if isinstance(record, dict):
        return ", ".join(f"{k} {v}" for k, v in record.items())
    return str(record)


def commands(manifest: dict[str, Any], out: Path) -> list[str]:
    """The commands that reproduce the folder."""
    study = manifest.get("study_file") or "STUDY.toml"
    try:  # relative to the working directory when under it (a committed report has no /home)
        study = str(Path(study).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        pass
    folder = str(out)
    return [
        f"netua run {study} --out {folder}",
        f"netua analyze {folder}",
        f"netua figures {folder}",
        f"netua report {folder}",
    ]


def _sections(content: Content) -> list[tuple[str, str]]:
    """(id, title) of the sections the page has, in order (the table of contents)."""
    sections = [("question", "Question"), ("headline", "Headline probabilities")]
    sections.append(("distributions", "Distributions"))
    sections.append(("sensitivity", "Sensitivity"))
    if content.boxes or content.figures.get("discovery"):
        sections.append(("discovery", "Scenario discovery"))
    sections += [
        ("convergence", "Convergence"),
        ("failures", "Failures"),
        ("provenance", "Provenance"),
        ("reproduce", "How to reproduce"),
    ]
    return sections
