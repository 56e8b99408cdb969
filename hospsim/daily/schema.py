"""The daily files: their names and their columns (with warehouse types), defined here once.

The simulation builds its frames in these column orders (so an empty day still writes its header) and the
warehouse's file-kind registry stages them with these types.
"""
from __future__ import annotations

from hospsim.columns import col, names, opt

VISITORS = (col("visit_id"), col("person_id", "bigint"), col("hospital_id"), col("arrival_time", "timestamp"),
            opt("departure_time", "timestamp"), col("arrival_mode"), col("age", "smallint"), col("sex"),
            col("triage", "smallint"), col("triage_color"), col("reason"), col("disposition"))
ADMISSIONS = (col("admission_id"), col("person_id", "bigint"), opt("visit_id"), col("hospital_id"), col("ward"),
              col("bed"), col("admit_time", "timestamp"), col("length_of_stay_days", "double precision"),
              col("planned_discharge_time", "timestamp"), col("type"))
DISCHARGES = (col("admission_id"), col("person_id", "bigint"), col("hospital_id"), col("ward"), col("bed"),
              col("admit_time", "timestamp"), col("discharge_time", "timestamp"),
              col("length_of_stay_days", "double precision"))
TRANSFERS = (col("transfer_id"), col("person_id", "bigint"), opt("visit_id"), opt("admission_id"),
             col("origin_hospital_id"), col("destination_hospital_id"), col("ward"), col("reason"),
             col("request_time", "timestamp"), col("departure_time", "timestamp"), col("arrival_time", "timestamp"),
             col("distance_km", "double precision"))
TRANSPORTS = (col("transport_id"), col("person_id", "bigint"), opt("visit_id"), col("priority", "smallint"),
              col("dispatch_time", "timestamp"), col("pickup_time", "timestamp"), col("arrival_time", "timestamp"),
              col("hospital_id"), col("distance_km", "double precision"))
CENSUS = (col("date", "date"), col("hospital_id"), col("ward"), *(col(n, "integer") for n in (
    "beds", "occupied", "admitted", "discharged", "transfers_in", "transfers_out", "boarding",
    "cancelled_electives")))

SCHEMAS = {"visitors": VISITORS, "admissions": ADMISSIONS, "discharges": DISCHARGES, "transfers": TRANSFERS,
           "transports": TRANSPORTS, "census": CENSUS}
COLUMNS = {kind: names(columns) for kind, columns in SCHEMAS.items()}
"""The column names of each daily file, in file order."""
FILE_NAMES = {"visitors": "daily_visitors_{}.csv", "admissions": "admissions_{}.csv",
              "discharges": "discharges_{}.csv", "transfers": "transfers_{}.csv",
              "transports": "emergency_transports_{}.csv", "census": "census_{}.csv"}
