SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       CASE WHEN d0 = 0 OR d0 IS NULL THEN NULL ELSE CAST(coalesce(n0, 0) AS Nullable(Float64)) / d0 END AS v0,
       n0,
       d0
FROM (
  SELECT local_month AS k0,
         sum(CASE WHEN state = 'logged_in' AND has_schedule THEN secs END) AS n0,
         sum(sched_secs) AS d0
  FROM (SELECT *, if(concat(toString(toInt64(slot_start) + 1000000000000000000), toString(toInt64(start_us) + 1000000000000000000), state) = first_piece, scheduled_minutes * 60, NULL) AS sched_secs,
          scheduled_minutes IS NOT NULL AS has_schedule
   FROM (SELECT * FROM (SELECT tenant, agent, queue, state, reason, start_us, slot_start, local_ts, toDate(at_local) AS local_date, toInt8(toHour(at_local)) AS local_hour,
          toInt16(toHour(at_local) * 4 + intDiv(toMinute(at_local), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(at_local))) AS local_weekday,
          toInt32(toYear(toDate(at_local)) * 100 + toMonth(toDate(at_local))) AS local_month,
          toInt32(toYear(toMonday(toDate(at_local)) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(at_local))) + 3) - 1, 7) + 1) AS local_week, secs
   FROM (SELECT *, toInt64(n) * 900000000 AS raw_us, greatest(raw_us, {from_us}) AS slot_start,
          least(raw_us + 900000000, {to_us}) AS slot_end,
          toDateTime(toString(toDateTime(toUInt32(intDiv(raw_us, 1000000)), {tz})), 'UTC') AS at_local, toDateTime(toString(toDateTime(toUInt32(intDiv(slot_start, 1000000)), {tz})), 'UTC') AS local_ts,
          (least(until_us, slot_end) - greatest(start_us, slot_start)) / 1e6 AS secs
   FROM (SELECT *, intDiv(greatest(start_us, {from_us}), 900000000)
                   + arrayJoin(range(toUInt64(intDiv(least(until_us, {to_us}) - 1, 900000000)
                                              - intDiv(greatest(start_us, {from_us}), 900000000) + 1))) AS n
         FROM (SELECT *, ifNull(end_us, {now_us}) AS until_us FROM agent_states FINAL
               WHERE tenant = 'default' AND start_us < {to_us} AND ifNull(end_us, {now_us}) > {from_us}))
   WHERE start_us < slot_end AND until_us > slot_start))
         ANY LEFT JOIN (SELECT tenant, id AS agent, scheduled_minutes FROM agents FINAL) USING (tenant, agent))
   ANY LEFT JOIN (SELECT tenant, agent, local_date, min(concat(toString(toInt64(slot_start) + 1000000000000000000), toString(toInt64(start_us) + 1000000000000000000), state)) AS first_piece
   FROM (SELECT tenant, agent, queue, state, reason, start_us, slot_start, local_ts, toDate(at_local) AS local_date, toInt8(toHour(at_local)) AS local_hour,
          toInt16(toHour(at_local) * 4 + intDiv(toMinute(at_local), 15)) AS local_slot,
          toInt8(toDayOfWeek(toDate(at_local))) AS local_weekday,
          toInt32(toYear(toDate(at_local)) * 100 + toMonth(toDate(at_local))) AS local_month,
          toInt32(toYear(toMonday(toDate(at_local)) + 3) * 100
                  + intDiv(toDayOfYear(toMonday((toDate(at_local))) + 3) - 1, 7) + 1) AS local_week, secs
   FROM (SELECT *, toInt64(n) * 900000000 AS raw_us, greatest(raw_us, {from_us}) AS slot_start,
          least(raw_us + 900000000, {to_us}) AS slot_end,
          toDateTime(toString(toDateTime(toUInt32(intDiv(raw_us, 1000000)), {tz})), 'UTC') AS at_local, toDateTime(toString(toDateTime(toUInt32(intDiv(slot_start, 1000000)), {tz})), 'UTC') AS local_ts,
          (least(until_us, slot_end) - greatest(start_us, slot_start)) / 1e6 AS secs
   FROM (SELECT *, intDiv(greatest(start_us, {from_us}), 900000000)
                   + arrayJoin(range(toUInt64(intDiv(least(until_us, {to_us}) - 1, 900000000)
                                              - intDiv(greatest(start_us, {from_us}), 900000000) + 1))) AS n
         FROM (SELECT *, ifNull(end_us, {now_us}) AS until_us FROM agent_states FINAL
               WHERE tenant = 'default' AND start_us < {to_us} AND ifNull(end_us, {now_us}) > {from_us}))
   WHERE start_us < slot_end AND until_us > slot_start)) GROUP BY tenant, agent, local_date) USING (tenant, agent, local_date))
  WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC')
  GROUP BY k0
)
ORDER BY k0 NULLS LAST
