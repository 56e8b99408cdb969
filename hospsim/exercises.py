"""The course's exercises: notebooks/solutions/ is the source, notebooks/exercises/ is derived from it.

An exercise notebook is its solution with each solution cell (tagged `solution`) replaced by a blank to fill in,
so questions and checks never drift apart; `python -m hospsim.exercises` rewrites them and a test fails when the
committed ones are stale.
"""
from __future__ import annotations

import copy
from pathlib import Path

from hospsim import resources

SOLUTIONS, EXERCISES = resources.notebooks_dir() / "solutions", resources.notebooks_dir() / "exercises"
BLANK = "# Your answer here; then uncomment the check below it and run the cell: no error means the answer is right.\n"


def derive(solution):
    """The exercise of a solution notebook (nbformat node): solution cells blanked, nothing else changed."""
    exercise = copy.deepcopy(solution)
    for cell in exercise.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            checks = [line for line in cell.source.splitlines() if line.startswith("assert ")]
            cell.source = BLANK + "".join(f"\n# check: {line}" for line in checks)
            cell.metadata["tags"] = ["exercise"]
    return exercise


def write_all(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES) -> list[Path]:
    import nbformat
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(solutions.glob("*.ipynb")):
        target = exercises / path.name
        nbformat.write(derive(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


if __name__ == "__main__":
    for target in write_all():
        print(target)
