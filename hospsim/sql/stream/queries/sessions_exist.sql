SELECT to_regclass('stream.sessions') IS NOT NULL
