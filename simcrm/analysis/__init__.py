"""Analysis: summaries, ranking, robustness, sensitivity and scenario discovery.

Everything here returns data (xarray/pandas); nothing draws.
"""
