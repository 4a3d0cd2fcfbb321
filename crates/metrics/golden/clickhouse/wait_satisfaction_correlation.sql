SELECT concat(toString(intDiv(k0, 100)), '-', substring(toString(100 + k0 % 100), 2, 2)) AS b0,
       k1 AS b1,
       CAST(n0 AS Nullable(Float64)) AS v0,
       n0,
       d0
FROM (SELECT *, CAST(NULL AS Nullable(Float64)) AS d0 FROM (SELECT k0, k1, corr(wait_rank, score_rank) AS n0 FROM (SELECT k0, k1, wait_s, score, wait_rank, score_rank FROM (SELECT k0, k1, groupArray(w) AS ws, groupArray(s) AS ss FROM (SELECT local_month AS k0, queue AS k1, toFloat64(wait_s) AS w, toFloat64(coalesce(survey_rating, multiIf(survey_score = 'dissatisfied', 1, survey_score = 'neutral', 2, survey_score = 'satisfied', 3, survey_score = 'very_satisfied', 4, NULL))) AS s FROM contacts FINAL WHERE tenant = 'default' AND local_ts >= toDateTime('2024-01-01 00:00:00', 'UTC') AND local_ts < toDateTime('2024-04-01 00:00:00', 'UTC') AND queue IN ('vip', 'general') AND wait_s IS NOT NULL AND (coalesce(survey_rating, multiIf(survey_score = 'dissatisfied', 1, survey_score = 'neutral', 2, survey_score = 'satisfied', 3, survey_score = 'very_satisfied', 4, NULL))) IS NOT NULL) GROUP BY k0, k1)
   ARRAY JOIN ws AS wait_s, ss AS score, arraySort((r, i) -> i,
            arrayMap((p, u, e) -> (p - (u - 1) + p + (e - 1)) / 2,
                     arrayEnumerate(arrayMap(i -> ws[i], arraySort((i, v) -> v, arrayEnumerate(ws), ws))), arrayEnumerateUniq(arrayMap(i -> ws[i], arraySort((i, v) -> v, arrayEnumerate(ws), ws))),
                     arrayReverse(arrayEnumerateUniq(arrayReverse(arrayMap(i -> ws[i], arraySort((i, v) -> v, arrayEnumerate(ws), ws)))))),
            arraySort((i, v) -> v, arrayEnumerate(ws), ws)) AS wait_rank, arraySort((r, i) -> i,
            arrayMap((p, u, e) -> (p - (u - 1) + p + (e - 1)) / 2,
                     arrayEnumerate(arrayMap(i -> ss[i], arraySort((i, v) -> v, arrayEnumerate(ss), ss))), arrayEnumerateUniq(arrayMap(i -> ss[i], arraySort((i, v) -> v, arrayEnumerate(ss), ss))),
                     arrayReverse(arrayEnumerateUniq(arrayReverse(arrayMap(i -> ss[i], arraySort((i, v) -> v, arrayEnumerate(ss), ss)))))),
            arraySort((i, v) -> v, arrayEnumerate(ss), ss)) AS score_rank) GROUP BY k0, k1))
ORDER BY k0 NULLS LAST, k1 NULLS LAST
