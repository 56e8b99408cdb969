"""The PostgreSQL warehouse: a normalized schema (sql/warehouse/) and the batch ingestor that fills it."""
from hospsim.warehouse.ingest import FileOutcome, Ingestor, ingest
from hospsim.warehouse.schema import drop, init, table_counts

__all__ = ["FileOutcome", "Ingestor", "drop", "ingest", "init", "table_counts"]
