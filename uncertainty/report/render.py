"""Render a study's report with Jinja2 (the page structure lives in ``templates/``)."""

from __future__ import annotations

from pathlib import Path

from uncertainty.errors import AnalysisError
from uncertainty.report.content import CONVERGED_CONF, CONVERGED_TOP, gather
from uncertainty.store.format import MANIFEST

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the report's file name in the results folder
REPORT = "report.html"


def render(out: Path) -> str:
    """The report of results folder ``out`` as one HTML document."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    content = gather(Path(out))
    return env.get_template("report.html.j2").render(
        c=content, converged_conf=CONVERGED_CONF, converged_top=CONVERGED_TOP
    )


def write_report(out: Path, dest: Path | None = None) -> Path:
    """Write the report of ``out`` to ``dest`` (default ``out/report.html``); return its path."""
    out = Path(out)
    if not (out / MANIFEST).is_file():
        raise AnalysisError(
            f"{out}: no {MANIFEST}: not a results folder (run `netua run` or `netua study`)"
        )
    if not (out / "probabilities.csv").is_file() and not (out / "sobol.csv").is_file():
        raise AnalysisError(f"{out}: no analysis tables yet; run `netua analyze {out}` first")
    dest = Path(dest) if dest is not None else out / REPORT
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(render(out), encoding="utf-8")
    return dest
