-- Events per topic and wall-clock second: produced (producer's stamp) and consumed (the processor's commit).
WITH e AS (
    SELECT kafka_topic, produced_at, processed_at FROM stream.emergency_transports
    UNION ALL SELECT kafka_topic, produced_at, processed_at FROM stream.patient_transfers
    UNION ALL SELECT kafka_topic, produced_at, processed_at FROM stream.admissions
    UNION ALL SELECT kafka_topic, produced_at, processed_at FROM stream.discharges
    UNION ALL SELECT kafka_topic, produced_at, processed_at FROM stream.bed_status
)
SELECT kafka_topic AS topic, 'produced' AS what, date_trunc('second', produced_at) AS second, count(*) AS events
FROM e GROUP BY 1, 2, 3
UNION ALL
SELECT kafka_topic, 'consumed', date_trunc('second', processed_at), count(*)
FROM e GROUP BY 1, 2, 3
ORDER BY 3, 1, 2
