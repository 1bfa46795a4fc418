"""What a study of the China model gets when it does not say otherwise.

Registered with the engine through the ``netua.defaults`` entry point (``pyproject.toml``), so
the generic engine (``uncertainty/``) names no China model, output or threshold itself.

- ``MODEL``: the evaluator a study file without ``[study] model`` runs.
- ``ANALYSIS``: entries added to a study's ``[analysis]`` table when it has none of that key,
  each only where the store has the output (with a ``year`` only for a trajectory covering it):
  the study's headline questions, P(peak by 2030) and P(coal share in 2030 >= 44 %) (the
  roadmap's "no less than 44 % of primary energy in 2030", docs/validation.md), and the
  neutrality year (first year net CO2 <= 0).
"""

MODEL = "model.ensemble:ChinaLP"

ANALYSIS = {
    "probabilities": [
        {"output": "peak_year", "op": "<=", "value": 2030},
        {"output": "coal_share", "year": 2030, "op": ">=", "value": 0.44},
    ],
    "events": [{"name": "neutrality_year", "output": "co2_net", "op": "<=", "value": 0.0}],
}
