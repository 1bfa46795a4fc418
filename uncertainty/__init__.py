"""Uncertainty and sensitivity engine: parameter spaces, sampling, parallel runs, stores, analysis."""
