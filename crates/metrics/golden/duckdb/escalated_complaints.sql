WITH agg AS (
  SELECT local_month AS k0,
         count_if(kind = 'complaint' AND escalated) AS n0,
         CAST(NULL AS DOUBLE) AS d0
  FROM (SELECT t.tenant, t.kind, t.business_line, t.category, t.channel,
          t.customer, t.valid, t.escalated, t.escalated_via, t.refund, t.satisfaction, t.local_ts,
          t.closed_at IS NULL AS is_open,
          (epoch_us(t.closed_at) - epoch_us(t.created_at)) / 3.6e9 AS resolution_hours,
          (epoch_us(current_timestamp) - epoch_us(t.created_at)) / 3.6e9 AS age_hours,
          CAST(t.local_ts AS DATE) AS local_date, hour(t.local_ts) AS local_hour,
          hour(t.local_ts) * 4 + minute(t.local_ts) // 15 AS local_slot,
          isodow(t.local_ts) AS local_weekday,
          year(t.local_ts) * 100 + month(t.local_ts) AS local_month,
          isoyear(t.local_ts) * 100 + week(t.local_ts) AS local_week,
          EXISTS (SELECT 1 FROM tickets p
                  WHERE p.tenant = t.tenant AND p.kind = 'complaint' AND p.id <> t.id
                    AND p.customer = t.customer AND p.leaf = t.leaf
                    AND p.closed_at IS NOT NULL AND p.closed_at <= t.created_at) AS is_repeat
   FROM tickets t)
  WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
  GROUP BY k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       coalesce(CAST(n0 AS DOUBLE), 0) AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
