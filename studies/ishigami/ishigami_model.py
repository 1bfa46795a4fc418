"""The Ishigami function, a standard test of sensitivity analysis with known Sobol indices.

Ishigami, T. and Homma, T. (1990) An importance quantification technique in uncertainty analysis for
computer models. ISUMA '90. With a = 7, b = 0.1 and x_i ~ U(-pi, pi): S1 = (0.314, 0.442, 0),
ST = (0.558, 0.442, 0.244).
"""

import math


def ishigami(x1: float, x2: float, x3: float, a: float = 7.0, b: float = 0.1) -> dict[str, float]:
    """Return ``{"y": sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)}``."""
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)}
