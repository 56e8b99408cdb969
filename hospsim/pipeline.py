"""`hospsim run`: the notebooks, in course order, executed headlessly by papermill into the run's folder.

The same notebooks a student steps through in JupyterLab are what a scheduler runs, so there is one
code path to trust. A failure names the notebook and the cell, and the run stops there.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from hospsim import config, resources
from hospsim import run as runs
from hospsim.errors import PipelineError

NOTEBOOKS_DIR = resources.notebooks_dir()


class NotebookFailed(PipelineError):
    def __init__(self, notebook: Path, cell_index: int | None, ename: str, evalue: str, output: Path):
        self.notebook, self.cell_index, self.output = notebook, cell_index, output
        where = f"cell {cell_index}" if cell_index is not None else "an unknown cell"
        super().__init__(f"{notebook.name} failed in {where}: {ename}: {evalue} (executed copy: {output})")


@dataclass
class RunResult:
    run_dir: Path
    notebooks: list[Path] = field(default_factory=list)
    report: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def course_notebooks(directory: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """notebooks/NN_*.ipynb in order; `only` picks some by number or name (e.g. ["00", "01_daily_loop"])."""
    books = sorted(directory.glob("[0-9][0-9]_*.ipynb"))
    if only:
        chosen = [b for b in books if any(b.stem == o or b.stem.startswith(f"{o}_") for o in only)]
        unknown = [o for o in only if not any(b.stem == o or b.stem.startswith(f"{o}_") for b in books)]
        if unknown:
            raise PipelineError(f"no notebook matches {', '.join(unknown)}; choose from "
                             f"{', '.join(b.stem for b in books)}")
        books = chosen
    if not books:
        raise PipelineError(f"no course notebooks (NN_*.ipynb) in {directory}")
    return books


def new_run_dir(params: config.Params, params_file: str | Path | None, now: dt.datetime | None = None) -> Path:
    """runs/<run-id>/course/<stamp>-<params label>/: this execution of the course, inside its run's folder."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    label = re.sub(r"[^A-Za-z0-9_-]", "", Path(params_file).stem) if params_file else "default"
    course = runs.folder_for(params) / "course"
    run_dir = course / f"{stamp}-{label}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = course / f"{stamp}-{label}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir


def notebook_parameters(params_file: str | Path | None, overrides: list[str] | None) -> dict:
    """What every notebook's `parameters` cell receives on a headless run."""
    return {"params_file": str(params_file) if params_file else None,
            "overrides": list(overrides or []), "interactive": False}


def run(params_file: str | Path | None = None, overrides: list[str] | None = None, *, only: list[str] | None = None,
        progress: bool = True, report: bool = True, notebooks_dir: Path = NOTEBOOKS_DIR) -> RunResult:
    """Execute the course notebooks in order; raise NotebookFailed at the first failing cell."""
    import papermill as pm
    from tqdm.auto import tqdm

    params = config.load(params_file, overrides)  # refuse bad params before any notebook starts
    runs.check_landing(params)                    # and another world's data folder
    logging.getLogger("papermill").setLevel(logging.WARNING)
    books = course_notebooks(notebooks_dir, only)
    result = RunResult(new_run_dir(params, params_file))
    (result.run_dir / "params.json").write_text(json.dumps(params.to_dict(), indent=2, ensure_ascii=False))
    nb_params = notebook_parameters(params_file, overrides)
    bar = tqdm(books, desc="hospsim run", unit="notebook", disable=not progress)
    for book in bar:
        bar.set_postfix_str(book.stem)
        output = result.run_dir / book.name
        started = dt.datetime.now()
        try:
            pm.execute_notebook(str(book), str(output), parameters=nb_params, progress_bar=False,
                                cwd=str(config.PROJECT_ROOT), kernel_name="python3", log_output=False,
                                kernel_manager_class=kernel_manager_class())
        except pm.PapermillExecutionError as exc:
            raise NotebookFailed(book, _source_cell_index(output, exc.exec_count), exc.ename, exc.evalue,
                                 output) from None
        result.seconds[book.stem] = (dt.datetime.now() - started).total_seconds()
        result.notebooks.append(output)
    if report:
        result.report = write_report(result)
    return result


def kernel_manager_class():
    """Kernels over local IPC sockets instead of TCP: no port open to anyone on the machine, and no
    "Kernel is running over TCP without encryption" warning from every notebook's kernel."""
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
    return IpcKernelManager


def _source_cell_index(executed: Path, exec_count: int | None) -> int | None:
    """The failing cell's index in the source notebook (papermill adds an injected-parameters cell)."""
    import nbformat
    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return None
    index = 0
    for cell in nb.cells:
        if {"injected-parameters", "papermill-error-cell-tag"} & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code" and cell.get("execution_count") == exec_count:
            return index
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
        index += 1
    return None


def write_report(result: RunResult) -> Path:
    """One self-contained HTML file: a summary and contents, then every executed notebook (hospsim.report)."""
    from hospsim import report
    return report.write(result.run_dir, result.notebooks, result.seconds)


def reset(params: config.Params) -> list[str]:
    """Start the course over: data folders, the simulation's saved state, the warehouse, the stream tables and
    topics, the OLTP tables, its publication and replication slots, the Debezium connector and its topics.

    runs/ is kept: each run's files, manifest and executed notebooks. Simulating the same params again lands the
    run's files in batch/ once more instead of recomputing them. Services keep running.
    """
    import shutil
    from contextlib import closing

    from hospsim import services, stream, warehouse
    from hospsim.oltp import schema as oltp_schema

    done = []
    data = params.dirs.data_dir
    for folder in (data / "batch", data / "processed", data / "rejected", data / "stream",
                   params.dirs.state_dir / "simulation"):
        if folder.exists():
            shutil.rmtree(folder)
            done.append(f"removed {folder}")
    landing = data / runs.LANDING
    if landing.exists():
        landing.unlink()
        done.append(f"removed {landing} (the runs stay in {params.dirs.runs_dir}; `hospsim simulate` lands one again)")
    pg = services.ensure_postgres(params)
    with closing(pg.connect()) as conn:
        warehouse.drop(conn, params)
    done.append(f"dropped the warehouse schema {params.warehouse.schema}")
    if params.kafka.connect_url or services.status(params, ("connect",))[0].get("running"):
        from hospsim.services.connect import ConnectClient
        if ConnectClient(services.connect_url(params)).delete(params.oltp.connector_name):
            done.append(f"deleted the Debezium connector {params.oltp.connector_name}")
    oltp_schema.drop(params, pg)
    done.append(f"dropped the OLTP schema {params.oltp.schema}, its publication and slots {params.oltp.slot}*")
    bootstrap, _ = stream.kafka_bootstrap(params, start=False)
    stream.reset(params, pg, bootstrap)
    done.append("dropped the stream schema" + (f" and the {params.kafka.topic_prefix}.* topics" if bootstrap else ""))
    if bootstrap:
        from hospsim import cdc
        deleted = cdc.delete_topics(params, bootstrap)
        done.append(f"deleted the Debezium topics {params.oltp.topic_prefix}.{params.oltp.schema}.* ({len(deleted)})")
    return done
