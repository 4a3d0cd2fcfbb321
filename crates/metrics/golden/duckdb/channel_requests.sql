WITH agg AS (
  SELECT local_month AS k0,
         queue AS k1,
         count(*) AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM (SELECT *, CASE WHEN (entry_point ILIKE '%bot%' OR source ILIKE '%bot%' OR contains(entry_point, '机器人') OR contains(entry_point, '智能语音') OR contains(source, '机器人') OR contains(source, '智能语音')) THEN 'voice_bot' ELSE 'ivr' END AS service_channel,
          outcome = 'self_service' AND NOT reached_queue AS resolved_here
   FROM contacts WHERE is_inbound AND channel = 'voice'
     AND (ivr_start IS NOT NULL OR outcome = 'self_service')
   UNION ALL
   SELECT *, CASE WHEN channel = 'voice' THEN 'agent' ELSE channel END AS service_channel,
          is_answered AND transfers = 0 AND coalesce(resolved_first, true) AS resolved_here
   FROM contacts WHERE is_inbound AND (reached_queue OR channel <> 'voice'))
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) AND queue IN (?, ?)
  GROUP BY k0, k1
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       k1 AS b1,
       coalesce(CAST(n0 AS DOUBLE), 0) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST, k1 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | vip | general
