"""Kernels: pure vectorised functions (finance, schedule, markets) and the compiled row loops."""
