"""``netua report`` (issue 19): one self-contained page with every section, every figure embedded
and decodable, the headline numbers of probabilities.csv, and no external reference; it renders
in a real headless browser with every image at a non-zero size."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from uncertainty.cli import main
from uncertainty.cli.study import run_declared_discoveries
from uncertainty.testing import make_store

YEARS = list(range(2020, 2061, 5))
STUDY = """[study]
name = "report_check"
description = "A synthetic study for the report test"
question = "Does the peak come before 2030, and what drives it?"

[analysis]
policy = "drop-blocks"
probabilities = [
    {output = "peak_year", op = "<=", value = 2030},
    {output = "coal_share", year = 2030, op = ">=", value = 0.44},
]
discover = [{where = "peak_year > 2030", name = "late"}]
"""
SECTIONS = (
    "question", "headline", "distributions", "sensitivity", "discovery", "convergence",
    "failures", "provenance", "reproduce",
)  # fmt: skip


def _model(x):
    peak = 2020 + np.floor(20 * x[:, 0] * (0.5 + x[:, 1]))
    coal = 0.6 - 0.01 * x[:, [1]] * (np.array(YEARS) - 2020) - 0.05 * x[:, [2]]
    return {"peak_year": peak, "coal_share": coal}


class Page(HTMLParser):
    """The report's ids, image sources, links and headline cells."""

    def __init__(self):
        super().__init__()
        self.ids, self.images, self.refs, self.cells = set(), [], [], []
        self._cell = None
        self._in_headline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if attrs.get("id") == "headline-table":
            self._in_headline = True
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if key in attrs:
                self.refs.append(attrs[key])
        if tag == "td" and self._in_headline:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell.strip())
            self._cell = None
        if tag == "table":
            self._in_headline = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "study"
    make_store(
        _model, {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, "sobol", 32, seed=5, out=out,
        years=YEARS, units={"peak_year": "year", "coal_share": "1"}, study_text=STUDY,
        failures={3: 2, 40: 3}, attrs={"peak_year": {"censored_at": 2060.0, "units": "year"}},
    )  # fmt: skip
    assert main(["analyze", str(out)]) == 0
    assert main(["figures", str(out)]) == 0
    run_declared_discoveries(out)
    assert main(["report", str(out)]) == 0
    return out, out / "report.html"


def test_every_section_and_figure_is_there_and_embedded(report):
    out, path = report
    page = Page()
    page.feed(path.read_text())
    assert set(SECTIONS) <= page.ids, set(SECTIONS) - page.ids
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(page.images) == len(pngs) > 10
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        image = mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 100
    # no external reference: every src and href is embedded data or a link within the page
    assert all(r.startswith(("data:", "#")) for r in page.refs), page.refs
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", path.read_text())


def test_headline_numbers_are_those_of_probabilities_csv(report):
    out, path = report
    page = Page()
    page.feed(path.read_text())
    rows = [page.cells[i : i + 6] for i in range(0, len(page.cells), 6)]
    table = pd.read_csv(out / "probabilities.csv")
    table = table[table.group_parameter.isna()].set_index("statement")
    assert [r[0] for r in rows] == ["P(peak_year <= 2030)", "P(coal_share[2030] >= 0.44)"]
    for statement, p, interval, n, *_ in rows:
        expected = table.loc[statement]
        low, high = (float(v) for v in interval.split(" to "))
        assert float(p) == round(float(expected.p), 3)
        assert (low, high) == (round(expected.p_conf_low, 3), round(expected.p_conf_high, 3))
        assert int(n) == int(expected.n)


def test_the_page_reads_the_study(report):
    out, path = report
    text = path.read_text()
    assert "Does the peak come before 2030, and what drives it?" in text
    assert "A synthetic study for the report test" in text
    assert re.search(r"\b[abc] (explains most of the spread of|matters most for) the", text)
    assert "<td>timeout</td>" in text and "<td>error</td>" in text  # failures by kind
    assert f"netua analyze {out}" in text
    seed = json.loads((out / "manifest.json").read_text())["seed"]
    assert f"<tr><th>seed</th><td>{seed}</td></tr>" in text  # provenance


def test_a_folder_without_analysis_is_refused_in_one_line(tmp_path, capsys):
    out = make_store(_model, {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, "lhs", 16, out=tmp_path / "s",
                     years=YEARS)  # fmt: skip
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "netua analyze" in err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>
window.addEventListener('load', function () {
  var sizes = Array.from(document.images).map(function (i) {
    var box = i.getBoundingClientRect(); return [i.naturalWidth, box.width, box.height]; });
  document.body.setAttribute('data-image-sizes', JSON.stringify(sizes));
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (.ci/run installs Debian's chromium)")
def test_the_report_renders_in_a_headless_browser(report, tmp_path):
    _, path = report
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         "--virtual-time-budget=10000", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    found = re.search(r'data-image-sizes="([^"]*)"', dom)
    assert found, dom[:500]
    sizes = json.loads(found.group(1).replace("&quot;", '"'))
    assert len(sizes) == path.read_text().count("<img ")
    assert all(natural > 0 and width > 0 and height > 0 for natural, width, height in sizes)


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "folder",
    ["results/quick", "results/peak_robustness/seed", "results/peak_robustness/literature"],
)
def test_the_committed_reports_are_under_10_mb(folder):
    path = REPO / folder / "report.html"
    assert path.stat().st_size < 10 * 2**20
    text = path.read_text()
    assert text.count("<img ") == len(list((REPO / folder / "figures").glob("*.png")))
