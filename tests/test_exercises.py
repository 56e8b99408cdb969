"""The exercises: derived from their solutions, and every solution runs green on the course's run."""
from __future__ import annotations

import nbformat
import pytest

from hospsim import exercises, pipeline
from tests.conftest import PROJECT_ROOT

SOLUTIONS = sorted(exercises.SOLUTIONS.glob("*.ipynb"))


def test_every_course_notebook_has_exercises_and_solutions_apart():
    course = [p.name for p in pipeline.course_notebooks()]
    assert [p.name for p in SOLUTIONS] == course
    assert sorted(p.name for p in exercises.EXERCISES.glob("*.ipynb")) == course
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        questions = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Exercise")]
        answers = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        assert 2 <= len(questions) == len(answers) <= 3, path.name
        assert all("assert " in c.source for c in answers), f"{path.name}: every solution checks itself"
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_committed_exercise_is_its_solution_with_the_answers_blanked(path):
    derived = exercises.derive(nbformat.read(path, as_version=4))
    committed = nbformat.read(exercises.EXERCISES / path.name, as_version=4)
    assert committed == derived, "run `python -m hospsim.exercises` and commit notebooks/exercises/"
    assert all(exercises.BLANK in c.source for c in committed.cells if "exercise" in c.metadata.get("tags", []))


@pytest.mark.services
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_solution_runs_green_on_the_course_run(path, course, tmp_path):
    import papermill as pm
    params, _, _ = course
    overlay = params.dirs.runs_dir.parent / "course.yaml"
    pm.execute_notebook(str(path), str(tmp_path / path.name), parameters={"params_file": str(overlay)},
                        cwd=str(PROJECT_ROOT), kernel_name="python3", progress_bar=False)
