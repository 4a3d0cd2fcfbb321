SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       coalesce(CAST(n0 AS Nullable(Float64)), 0) AS v0,
       n0,
       d0
FROM (SELECT *, CAST(NULL AS Nullable(Float64)) AS d0 FROM (SELECT k0, k1, max(logged_in) AS n0 FROM (SELECT k0, k1, logged_in FROM (SELECT local_month AS k0, queue AS k1, slot_start, arrayCumSum(arrayMap(x -> x.2, arraySort(groupArray((t, delta))))) AS running
   FROM (SELECT tenant, agent, queue, slot_start, local_ts, toDate(at_local) AS local_date, toInt8(toHour(at_local)) AS local_hour,
          toInt16(toHour(at_local) * 4 + intDiv(toMinute(at_local), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(at_local))) AS local_weekday,
          toInt32(toYear(toDate(at_local)) * 100 + toMonth(toDate(at_local))) AS local_month,
          toInt32(toYear(toMonday(toDate(at_local)) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(at_local))) + 3) - 1, 7) + 1) AS local_week,
          step.1 AS t, step.2 AS delta
   FROM (SELECT *, toInt64(n) * 900000000 AS raw_us, greatest(raw_us, {from_us}) AS slot_start,
          least(raw_us + 900000000, {to_us}) AS slot_end,
          toDateTime(toString(toDateTime(toUInt32(intDiv(raw_us, 1000000)), {tz})), 'UTC') AS at_local, toDateTime(toString(toDateTime(toUInt32(intDiv(slot_start, 1000000)), {tz})), 'UTC') AS local_ts,
          (least(until_us, slot_end) - greatest(start_us, slot_start)) / 1e6 AS secs
   FROM (SELECT *, intDiv(greatest(start_us, {from_us}), 900000000)
                   + arrayJoin(range(toUInt64(intDiv(least(until_us, {to_us}) - 1, 900000000)
                                              - intDiv(greatest(start_us, {from_us}), 900000000) + 1))) AS n
         FROM (SELECT *, ifNull(end_us, {now_us}) AS until_us FROM agent_states FINAL
               WHERE tenant = 'default' AND start_us < {to_us} AND ifNull(end_us, {now_us}) > {from_us}))
   WHERE start_us < slot_end AND until_us > slot_start)
   ARRAY JOIN [(toInt64(greatest(start_us, slot_start)), toInt8(1)),
              (toInt64(least(until_us, slot_end)), toInt8(-1))] AS step
   WHERE state = 'logged_in') WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general') GROUP BY slot_start, k0, k1) ARRAY JOIN running AS logged_in) GROUP BY k0, k1))
ORDER BY k0 NULLS LAST, k1 NULLS LAST
