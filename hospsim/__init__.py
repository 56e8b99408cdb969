"""hospsim: a hospital data simulation lab feeding Kafka, a PostgreSQL warehouse and a CDC pipeline."""

__version__ = "0.1.0"
