"""Specification: the parameter registry, distributions, scenario loading and validation."""
