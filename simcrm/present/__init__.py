"""Presentation: words, charts and the report, drawn from what the analysis layer computes."""
