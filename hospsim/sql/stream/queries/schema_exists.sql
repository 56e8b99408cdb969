SELECT to_regclass('stream.bed_status') IS NOT NULL
