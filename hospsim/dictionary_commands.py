"""`hospsim docs`: the data dictionary into the database (COMMENT ON) and docs/data-dictionary.md."""
from __future__ import annotations


def register(sub, parent) -> None:
    p = sub.add_parser("docs", parents=[parent], help="write the data dictionary (COMMENT ON + docs/data-dictionary.md)",
                       description="Create the warehouse, stream and OLTP schemas where missing (nothing is dropped), "
                                   "write every table's and column's description as COMMENT ON, and render "
                                   "docs/data-dictionary.md: batch files, events, tables and an ER diagram.")
    p.add_argument("--out", metavar="FILE", help="where to write the Markdown (default: docs/data-dictionary.md)")
    p.set_defaults(func=_docs)


def _docs(args) -> int:
    from contextlib import closing
    from pathlib import Path

    from hospsim import config, dictionary, services, sinks
    from hospsim.commandline import params_from
    params = params_from(args)
    pg = services.ensure_postgres(params)
    with closing(pg.connect()) as conn:
        create_schemas(conn, params, pg)
        comments = dictionary.apply(conn, params)
        text = dictionary.render(conn, params)
    target = Path(args.out) if args.out else config.PROJECT_ROOT / dictionary.DOCS_FILE
    sinks.write_text(text, target)
    print(f"{comments} comments written; {target} ({len(text.splitlines())} lines)")
    return 0


def create_schemas(conn, params, pg_info) -> None:
    """The three schemas, created where missing (idempotent, nothing dropped): what the dictionary describes.
    Here, at the edge, because each schema's own module applies the dictionary to it."""
    from hospsim import warehouse
    from hospsim.oltp import schema as oltp_schema
    from hospsim.stream import sink
    warehouse.init(conn, params)
    sink.ensure_schema(conn, params.stream.schema)
    oltp_schema.init(params, pg_info)
