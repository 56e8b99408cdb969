-- After a direct COPY into an empty table, the whole table is the file: the reference checks read it as "stage".
CREATE TEMP VIEW stage AS SELECT * FROM {schema}.{table};
