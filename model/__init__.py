"""A bottom-up, cost-minimising energy-technology LP of China, 2020-2060 (linopy + HiGHS)."""
