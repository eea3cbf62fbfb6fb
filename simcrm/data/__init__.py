"""Files shipped inside the package: ``scenarios/`` (the example scenarios and the shared
partial files, a link to the repository's top-level ``scenarios/`` folder, which stays the
source of truth; the wheel holds copies)."""
