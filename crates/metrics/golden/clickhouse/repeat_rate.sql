SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS Nullable(Float64)) / d0 END AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         queue AS k1,
         countIf((is_inbound AND customer IS NOT NULL AND category IS NOT NULL) AND prev_gap_s <= 7 * 86400) AS n0,
         countIf((is_inbound AND customer IS NOT NULL AND category IS NOT NULL)) AS d0
  FROM (SELECT * FROM (SELECT * FROM contacts FINAL)
   ANY LEFT JOIN (
     SELECT 'default' AS tenant, id, prev_gap_s, next_gap_s FROM (
       SELECT arrayMap(i -> ids[i], arraySort((i, b, c) -> (b, c), arrayEnumerate(ids), bs, ids)) AS sorted_ids, arrayMap(i -> bs[i], arraySort((i, b, c) -> (b, c), arrayEnumerate(ids), bs, ids)) AS times,
              arrayMap((b, j) -> if(j = 1, NULL, (b - times[j - 1]) / 1e6), times, arrayEnumerate(times)) AS prevs,
              arrayMap((b, j) -> if(j = length(times), NULL, (times[j + 1] - b) / 1e6), times, arrayEnumerate(times)) AS nexts
       FROM (SELECT groupArray(id) AS ids, groupArray(bucket_us) AS bs
             FROM contacts FINAL WHERE tenant = 'default' AND is_inbound AND customer IS NOT NULL AND category IS NOT NULL AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') - 691200 AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') + 691200 GROUP BY customer, category))
     ARRAY JOIN sorted_ids AS id, prevs AS prev_gap_s, nexts AS next_gap_s)
   USING (tenant, id))
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general')
  GROUP BY k0, k1
)
ORDER BY k0 NULLS LAST, k1 NULLS LAST
