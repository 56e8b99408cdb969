"""The daily files' columns, as the registry of batch files (hospsim.filekinds) declares them."""
from __future__ import annotations

from hospsim.columns import names
from hospsim.filekinds import BY_KIND, DAILY

COLUMNS = {kind: names(BY_KIND[kind].columns) for kind in DAILY}
"""The column names of each daily file, in file order."""
