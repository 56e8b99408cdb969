-- One analysis view, whole (the notebooks' read of the warehouse); {table} is the view's name.
-- Every view starts with its key (time first, then hospital): ordered by it, a time series reads in order.
SELECT * FROM {schema}.{table}
ORDER BY 1, 2, 3;
