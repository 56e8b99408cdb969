"""Where outputs go. Files are written to a temporary name in the same folder and renamed into place,
so a reader (the batch ingestor, a notebook) never sees half a file."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside target; on success it replaces target, on failure it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, target: Path) -> Path:
    """CSV with a fixed layout (no index, '\\n' line ends, ISO timestamps) so one seed gives byte-identical files.

    Timestamp columns are formatted by numpy for the whole column first: the same text as pandas'
    date_format, about twice as fast (pandas formats each value alone).
    """
    text = {}
    for col in df.columns:
        if df[col].dtype.kind == "M":
            values = df[col].to_numpy().astype("datetime64[s]")
            formatted = np.datetime_as_string(values, unit="s").astype(object)
            formatted[np.isnat(values)] = ""
            text[col] = formatted
    with atomic_path(target) as tmp:
        (df.assign(**text) if text else df).to_csv(tmp, index=False, lineterminator="\n")
    return Path(target)


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_npz(arrays: dict, target: Path) -> Path:
    """Named arrays as one .npz, renamed into place, so a crash never leaves half of it."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return Path(target)
