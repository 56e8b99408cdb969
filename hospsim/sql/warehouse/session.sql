-- Settings of every ingestor connection.
SET datestyle = 'ISO, YMD';        -- '01/02/2025' is refused, never guessed as a day or a month
SET client_encoding = 'UTF8';
SET temp_buffers = '256MB';        -- a big file's staging table stays in memory (taken only as needed)
SET random_page_cost = 1.1;        -- the dimensions' key indexes are in memory: probing them is cheap
