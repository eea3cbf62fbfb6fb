"""The engine: sampling, the chunk evaluator, whole runs, datasets and parallel execution."""
