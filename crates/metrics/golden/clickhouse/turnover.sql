SELECT k0 AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS Nullable(Float64)) / d0 END AS v0,
       n0,
       d0
FROM (
  SELECT team AS k0,
         countIf(left_in_range) AS n0,
         (countIf(at_start) + countIf(at_end)) / 2 AS d0
  FROM (SELECT tenant, id AS agent, team,
          ifNull(left_on >= toDate('2024-01-01') AND left_on < toDate('2024-04-01'), 0) AS left_in_range,
          ifNull(hired_on < toDate('2024-01-01'), 1) AND ifNull(left_on >= toDate('2024-01-01'), 1) AS at_start,
          ifNull(hired_on < toDate('2024-04-01'), 1) AND ifNull(left_on >= toDate('2024-04-01'), 1) AS at_end,
          toDateTime(toDate('2024-01-01'), 'UTC') AS local_ts
   FROM agents FINAL)
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC')
  GROUP BY k0
)
ORDER BY k0 NULLS LAST
