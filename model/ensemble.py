"""The China LP as a model of the uncertainty engine (its fast-path protocol).

A study whose ``model`` is ``"model.ensemble:ChinaLP"`` (the default) gets, in each worker
process, one :class:`ChinaLP` built once; the engine then calls :meth:`ChinaLP.evaluate` per
sample. ``[model_options]`` of the study are passed as keyword arguments (``data``, ``growth``,
``history``, ``audit_share`` and the :class:`model.build.Settings` fields).
"""

from __future__ import annotations

import hashlib
import json
import logging

from model.build import Settings
from model.fastpath import ParametricLP, solve_reference
from model.load import CHINA_DATA, EXAMPLE_DATA, load_inputs

logger = logging.getLogger(__name__)

DATASETS = {"china": CHINA_DATA, "example": EXAMPLE_DATA}


class ChinaLP:
    """Build the LP once; evaluate samples by in-place update and warm re-solve.

    Parameters
    ----------
    targets : dict
        Parameter name -> target (see :mod:`model.parameters`).
    data : str, optional
        ``china`` (default), ``example`` or a dataset folder.
    growth : str
        Demand scenario used when no parameter targets ``growth``.
    history : bool
        Hold 2021-2024 to observations.
    anchors : int, optional
        Number of warm-start anchors the engine places in the study's space (default
        :attr:`default_anchors`; 0: every sample starts from the reference basis). Read by the
        engine (uncertainty/engine/anchors.py), which hands them over through :meth:`set_anchors`
        and solves each once per run, sharing its basis with every worker (:meth:`anchor_start`).
    latest_peak_guess : bool or "fit"
        With ``latest_peak``: search each sample's latest peak outward from a first guess
        instead of bisecting (5-6 trials): ``true`` (default) its anchor's answer (an LHS row
        with a hub: the hub's; a Sobol AB row: its A row's). ``"fit"``: the least-squares plane
        through the first anchors' answers (72 of 128 for 8 parameters, model/starts.py
        ``plane_anchors``; a Sobol AB row still guesses its A row's); on exact answers, 2.21
        trials on average against 3.08 (``python -m benchmarks.guess_fit``). The anchors' own
        searches (~20 s each on the China LP; with ``"fit"`` the plane's, else those the rows
        start from) run once per
        run, spread over the workers by the engine and shared (:meth:`anchor_result`,
        uncertainty/engine/shared.py), so the plane's extra set-up, the anchors no row starts
        from, is paid once per study. ``false``: bisect. The answer is the same every way; only
        ``latest_peak_solves`` and the time differ.
    audit_share : float
        Share of samples (chosen by a hash of their parameters, so independent of order and
        workers) also solved by the reference rebuild; their relative objective gap is the output
        ``audit_gap`` (NaN for samples not audited).
    **settings
        Further :class:`model.build.Settings` fields.
    """

    #: warm-start anchors when the study does not say: on the benchmark's 40 default samples
    #: (seed 1, today's LP, 2026-12-01) the median warm iterations were 0.55, 0.50 and 0.47 of
    #: the reference start's with 32, 64 and 128 anchors (0.51, 0.52 and 0.50 on its first 16;
    #: ``python -m benchmarks.anchor_density``; iteration counts do not depend on the machine's
    #: speed). Each anchor a run's rows start from is one solve (~3 s) per run, shared by the
    #: workers (:meth:`anchor_start`): 128 anchors cost at most ~96 solves more than 32 (a
    #: study of a few hundred rows uses fewer), and save ~0.2 s per row started from an anchor.
    #: With the latest-peak search each anchor used also costs its own search once per run
    #: (~20 s; with ``latest_peak_guess = "fit"`` the plane's instead): a study with the search pays
    #: ~30 CPU-minutes more than with 32 (nearer anchors' answers may save trials: not
    #: measured)
    default_anchors = 128

    def __init__(
        self,
        targets: dict,
        *,
        data: str | None = None,
        growth: str = "medium",
        history: bool = True,
        anchors: int | None = None,
        latest_peak_guess: bool | str = True,
        audit_share: float = 0.0,
        **settings,
    ):
        path = DATASETS.get(data or "china", data)
        self.inputs = load_inputs(path)
        self.settings = Settings(scenario=growth, history=history, **settings)
        self.targets = dict(targets)
        self.audit_share = float(audit_share)
        self.lp = ParametricLP(
            self.inputs, self.settings, self.targets, peak_guess=latest_peak_guess
        )
        logger.info(
            "ChinaLP built in %.2f s; reference solve %d iterations",
            self.lp.build_seconds,
            self.lp.ref_iterations,
        )

    def data_hash(self) -> str:
        """Hash of the model data (recorded in the study's manifest)."""
        return self.inputs.data_hash

    def set_anchors(self, anchors: list[dict]) -> None:
        """The study's warm-start anchors (parameter sets), from the engine."""
        self.lp.set_anchors(anchors)

    def set_parameters(self, parameters: list) -> None:
        """The study's parameters (uncertainty.study.space.Parameter), from the engine: which
        are choices, whose values (numbers too) a hub shares with its rows."""
        self.lp.set_choices(p.name for p in parameters if p.distribution.kind == "choice")

    @property
    def prepared_anchors(self) -> int:
        """How many anchors, the first ones, every sample's first guess needs the latest peak of
        (``latest_peak_guess = "fit"``: the plane's, model/starts.py ``plane_anchors``; else 0):
        the engine computes their answers once per run (:meth:`anchor_result`), and prepares in
        a worker, each under its own time limit, any whose answer it did not share."""
        return self.lp.plane_anchors()

    @property
    def shares_anchor_results(self) -> bool:
        """Whether the engine computes each anchor's latest peak (the first guess of its samples'
        searches) once per run for every worker (uncertainty/engine/shared.py): with the
        latest-peak search and a guess."""
        return self.lp.latest_peak is not None and self.lp.peak_guess

    def anchor_result(self, anchor: int) -> float | None:
        """Anchor ``anchor``'s latest peak year (NaN if its search failed; None without the
        search or a guess), searched here afresh for every worker."""
        return self.lp.anchor_peak(anchor, fresh=True)

    #: the engine solves each anchor once per run and hands its basis to every worker
    #: (uncertainty/engine/shared.py) instead of each worker solving the anchors it needs
    shares_anchor_starts = True

    def anchor_start(self, anchor: int) -> bytes | None:
        """Anchor ``anchor``'s optimal basis (model.highs_lp.encode_basis), for every worker."""
        return self.lp.anchor_start(anchor)

    def set_anchor_starts(self, starts: list) -> None:
        """Every anchor's basis as the engine solved it once per run (None: not solved, or its
        solve failed: solved here should a sample need it)."""
        self.lp.share_anchor_starts(starts)

    def set_anchor_results(self, results: list) -> None:
        """Every anchor's latest peak as the engine computed it once per run (NaN: failed,
        None: not computed); every sample guesses from these."""
        self.lp.share_anchor_peaks(results)

    def evaluate(
        self, params: dict, anchor: int | None = None, parent: tuple | None = None
    ) -> dict:
        """Outputs of one sample (started from anchor ``anchor``'s basis, or from the optimum
        of its design parent ``parent = (params, anchor)``, if given): every model output plus
        solve diagnostics."""
        out, diagnostics = self.lp.solve_sample(params, anchor, parent)
        result: dict = {name: out[name] for name in out.data_vars}
        result.update(diagnostics)
        result["audit_gap"] = self._audit(params, float(out.cost))
        return result

    def prepare_anchor(self, anchor: int) -> None:
        """Solve anchor ``anchor`` (and, with the latest-peak search, its own search) ahead of
        the first sample that starts from it (the engine calls this under the anchor's own time
        limit; cached per process)."""
        self.lp.start_basis(anchor)
        if self.lp.guesses_from_anchor(anchor):  # not an anchor outside the plane's
            self.lp.anchor_peak(anchor)

    def prepare_parent(self, parent: tuple) -> bool:
        """Solve a row's design parent ``(params, anchor)`` (a Sobol AB row's A row, an LHS
        row's hub) ahead of the row (the engine calls
        this under the parent's own time limit; cached, so the row's own solve reuses it).
        True when the parent has an optimum to start its rows from: the engine then leaves the
        row's own anchor unsolved (only a row whose parent fails starts from it)."""
        basis = self.lp.parent_start(parent)[0]
        return basis is not None

    def _audit(self, params: dict, cost: float) -> float:
        if self.audit_share <= 0 or not _chosen(params, self.audit_share):
            return float("nan")
        ref = solve_reference(self.inputs, self.settings, self.targets, params)
        gap = abs(cost - float(ref.cost)) / max(abs(float(ref.cost)), 1e-12)
        if gap > 1e-6:
            logger.warning("audit: fast path and rebuild differ by %.3g relative", gap)
        return gap


def _chosen(params: dict, share: float) -> bool:
    text = json.dumps({k: v if isinstance(v, str) else float(v) for k, v in sorted(params.items())})
    h = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < share
