"""The OLTP CDC simulator of the original project: seven hospital tables in PostgreSQL, a COPY seed and a
continuous 70% INSERT / 30% UPDATE stream for Debezium to capture.

    from hospsim.oltp import schema, seed, stream
    seed.reset(params)                  # drop, create, load ~13k rows
    report = stream.run(params)         # until oltp.stream.max_events / duration_seconds / Ctrl-C
    schema.counts(params)               # rows per table
"""
