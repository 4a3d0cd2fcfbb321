WITH p0 AS (
    SELECT local_month AS k0,
           count_if(kind = 'complaint') AS n0
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
  ),
p1 AS (
    SELECT local_month AS k0,
           sum(subscribers) / nullif(count(DISTINCT month), 0) AS d0
    FROM (SELECT s.tenant, s.business_line, s.month, s.subscribers,
          CAST(s.month || '-01' AS TIMESTAMP) AS local_ts,
          CAST(s.month || '-01' AS DATE) AS local_date, 0 AS local_hour, 0 AS local_slot,
          isodow(CAST(s.month || '-01' AS DATE)) AS local_weekday,
          CAST(replace(s.month, '-', '') AS INTEGER) AS local_month,
          isoyear(CAST(s.month || '-01' AS DATE)) * 100
            + week(CAST(s.month || '-01' AS DATE)) AS local_week
   FROM subscribers s)
    WHERE tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP)
    GROUP BY k0
  ),
keys AS (SELECT k0 FROM p0 UNION SELECT k0 FROM p1),
agg AS (
  SELECT keys.k0 AS k0,
         p0.n0 AS n0,
         p1.d0 AS d0
  FROM keys LEFT JOIN p0 ON keys.k0 IS NOT DISTINCT FROM p0.k0 LEFT JOIN p1 ON keys.k0 IS NOT DISTINCT FROM p1.k0
)
SELECT printf('%d-%02d', k0 // 100, k0 % 100) AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS DOUBLE) / d0 * 10000 END AS v0,
       n0,
       d0
FROM agg
ORDER BY k0 NULLS LAST
-- params: default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00 | default | 2024-01-01 00:00:00 | 2024-04-01 00:00:00
