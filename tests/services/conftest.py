"""The shared fixtures (PostgreSQL, Kafka, Kafka Connect) live in tests/conftest.py."""
