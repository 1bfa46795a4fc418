"""The model protocol's per-process set-up (uncertainty/engine/protocol.py)."""

from __future__ import annotations

from uncertainty.engine.protocol import get_evaluator, model_spec
from uncertainty.study.space import load_study

TOY = """
class Toy:
    def __init__(self, targets):
        self.targets = targets

    def set_parameters(self, parameters):
        self.kinds = {p.name: p.distribution.kind for p in parameters}

    def evaluate(self, params):
        return {"y": params["x"]}
"""


def test_a_class_model_is_set_up_again_for_a_study_with_other_parameters(tmp_path):
    """A worker process keeps one instance per model set-up: a study differing from an earlier
    one only in a parameter's target or distribution (same model, options and anchors) gets an
    instance built with its own targets and handed its own parameters, not the earlier one."""
    (tmp_path / "toymod.py").write_text(TOY)

    def instance(target: str, distribution: str):
        path = tmp_path / f"{target}_{distribution[:20].split()[-1]}.toml"
        path.write_text(
            '[study]\nname = "toy"\nmodel = "toymod:Toy"\nsampler = "mc"\nn = 4\nseed = 1\n'
            f'outputs = ["y"]\n\n[parameters.x]\n{distribution}\ntarget = "{target}"\n'
        )
        return get_evaluator(model_spec(load_study(path)))[0]

    uniform = 'distribution = "uniform"\nlower = 0\nupper = 1'
    choice = 'distribution = "choice"\nchoices = [0.0, 1.0]'
    one, two = instance("one", uniform), instance("two", uniform)
    assert one.targets == {"x": "one"} and two.targets == {"x": "two"}
    assert two.kinds == {"x": "uniform"}
    assert instance("one", uniform) is one  # the same set-up: the cached instance
    assert instance("two", choice).kinds == {"x": "choice"}
    # a process keeps the two most recently used set-ups: "two" (uniform) went first
    assert instance("one", uniform) is one
    assert instance("two", uniform) is not two
