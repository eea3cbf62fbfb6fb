"""Input/output: results folders, atomic writes and streaming sinks."""
