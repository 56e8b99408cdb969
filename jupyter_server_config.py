"""JupyterLab for the course (`make lab` passes this file with --config).

A course notebook (anything under notebooks/) is saved with its code and without its outputs, execution
counts or run-time metadata, so a student's save leaves `git status` clean, and a notebook's 5 MB of
figures never reach git. What a notebook computed lives in the run: `hospsim run` writes executed copies,
with their outputs and a report, into runs/<run-id>/course/. Notebooks elsewhere are saved as they are.
"""
import warnings
from pathlib import Path

COURSE_NOTEBOOKS = (Path(__file__).parent / "notebooks").resolve()  # the package's folder behind the symlink
KEPT_CELL_METADATA = ("tags",)
"""papermill finds the parameters cell by its tag; everything else in a cell's metadata is the lab's state."""


def strip_outputs(nb: dict) -> dict:
    """The notebook as committed: no outputs, no execution counts, only kernelspec and the language's name."""
    for cell in nb.get("cells", []):
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in KEPT_CELL_METADATA and v}
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    meta = nb.get("metadata", {})
    language = {"name": meta["language_info"]["name"]} if "name" in meta.get("language_info", {}) else None
    nb["metadata"] = {k: v for k, v in (("kernelspec", meta.get("kernelspec")), ("language_info", language)) if v}
    return nb


def strip_course_outputs(model, path, contents_manager, **kwargs):
    """jupyter_server's pre_save_hook: strip a course notebook before it is written."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    target = (Path(contents_manager.root_dir) / path.lstrip("/")).resolve()
    if COURSE_NOTEBOOKS in target.parents:
        strip_outputs(model["content"])


c = get_config()  # noqa: F821 (jupyter's config loader defines it)
c.FileContentsManager.pre_save_hook = strip_course_outputs
# The lab applies its config twice; the second time jupyter_server warns that this hook replaces itself.
warnings.filterwarnings("ignore", message=r"Overriding existing pre_save_hook \(strip_course_outputs\) with a new one "
                                          r"\(strip_course_outputs\)")
