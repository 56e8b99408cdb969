-- One analysis view, whole (the notebooks' read of the warehouse); {table} is the view's name.
SELECT * FROM {schema}.{table};
