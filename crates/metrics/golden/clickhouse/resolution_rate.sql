SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS Nullable(Float64)) / d0 END AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         queue AS k1,
         countIf(resolved_here) AS n0,
         count(*) AS d0
  FROM (SELECT *, if((positionCaseInsensitiveUTF8(ifNull(entry_point, ''), 'bot') > 0 OR positionCaseInsensitiveUTF8(ifNull(source, ''), 'bot') > 0 OR position(ifNull(entry_point, ''), '机器人') > 0 OR position(ifNull(entry_point, ''), '智能语音') > 0 OR position(ifNull(source, ''), '机器人') > 0 OR position(ifNull(source, ''), '智能语音') > 0), 'voice_bot', 'ivr') AS service_channel,
          outcome = 'self_service' AND NOT reached_queue AS resolved_here
   FROM contacts FINAL WHERE is_inbound AND channel = 'voice'
     AND (ivr_start IS NOT NULL OR outcome = 'self_service')
   UNION ALL
   SELECT *, if(channel = 'voice', 'agent', channel) AS service_channel,
          is_answered AND transfers = 0 AND ifNull(resolved_first, 1) AS resolved_here
   FROM contacts FINAL WHERE is_inbound AND (reached_queue OR channel <> 'voice'))
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general')
  GROUP BY k0, k1
)
ORDER BY k0 NULLS LAST, k1 NULLS LAST
