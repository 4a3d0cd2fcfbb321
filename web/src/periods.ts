// Tenant-local calendar arithmetic of the explore page: period presets, the period compared
// with, and the range of a bucket label (what a clicked cell covers). Dates are plain
// `YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM`, both tenant-local as the API takes them.

export const PRESETS = [
  "today",
  "yesterday",
  "this_week",
  "last_week",
  "this_month",
  "last_month",
  "this_quarter",
  "last_quarter",
  "this_year",
  "last_year",
  "custom",
] as const;

export interface Range {
  from: string;
  to: string;
}

function d(y: number, m: number, day: number): Date {
  return new Date(Date.UTC(y, m - 1, day));
}

export function ymd(x: Date): string {
  return x.toISOString().slice(0, 10);
}

function addDays(x: Date, n: number): Date {
  return new Date(x.getTime() + n * 86400000);
}

function addMonths(x: Date, n: number): Date {
  return d(x.getUTCFullYear(), x.getUTCMonth() + 1 + n, 1);
}

/** Today in the tenant's zone. */
export function todayIn(zone: string): Date {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const [y, m, day] = parts.split("-").map(Number);
  return d(y, m, day);
}

function monday(x: Date): Date {
  return addDays(x, -((x.getUTCDay() + 6) % 7));
}

/** The range of a preset around `today`. */
export function presetRange(preset: string, today: Date): Range | null {
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth() + 1;
  const q = Math.floor((m - 1) / 3) * 3 + 1;
  const r = (from: Date, to: Date): Range => ({ from: ymd(from), to: ymd(to) });
  switch (preset) {
    case "today":
      return r(today, addDays(today, 1));
    case "yesterday":
      return r(addDays(today, -1), today);
    case "this_week":
      return r(monday(today), addDays(monday(today), 7));
    case "last_week":
      return r(addDays(monday(today), -7), monday(today));
    case "this_month":
      return r(d(y, m, 1), addMonths(d(y, m, 1), 1));
    case "last_month":
      return r(addMonths(d(y, m, 1), -1), d(y, m, 1));
    case "this_quarter":
      return r(d(y, q, 1), addMonths(d(y, q, 1), 3));
    case "last_quarter":
      return r(addMonths(d(y, q, 1), -3), d(y, q, 1));
    case "this_year":
      return r(d(y, 1, 1), d(y + 1, 1, 1));
    case "last_year":
      return r(d(y - 1, 1, 1), d(y, 1, 1));
    default:
      return null;
  }
}

function parseDate(s: string): Date {
  const [y, m, day] = s.slice(0, 10).split("-").map(Number);
  return d(y, m, day);
}

/** The range compared with: the previous period of the same kind, or a year before. */
export function compareRange(r: Range, preset: string, how: string): Range | null {
  const from = parseDate(r.from);
  const to = parseDate(r.to);
  if (how === "yoy") {
    const back = (x: Date) => d(x.getUTCFullYear() - 1, x.getUTCMonth() + 1, x.getUTCDate());
    return { from: ymd(back(from)), to: ymd(back(to)) };
  }
  if (how !== "prev") return null;
  const months: Record<string, number> = { this_month: 1, last_month: 1, this_quarter: 3, last_quarter: 3, this_year: 12, last_year: 12 };
  const n = months[preset];
  if (n) return { from: ymd(addMonths(from, -n)), to: ymd(from) };
  const days = Math.round((to.getTime() - from.getTime()) / 86400000);
  return { from: ymd(addDays(from, -days)), to: ymd(from) };
}

function hm(x: Date): string {
  return x.toISOString().slice(0, 16);
}

/** The range a bucket's label covers (`2026-12-01T09:15` of 15min, `2026-W49`, `2026-Q4`...). */
export function bucketRange(bucket: string, label: string): Range | null {
  const minutes: Record<string, number> = { "15min": 15, "30min": 30, hour: 60 };
  if (minutes[bucket]) {
    const start = new Date(`${label}:00Z`);
    if (Number.isNaN(start.getTime())) return null;
    return { from: hm(start), to: hm(new Date(start.getTime() + minutes[bucket] * 60000)) };
  }
  switch (bucket) {
    case "day": {
      const x = parseDate(label);
      return { from: ymd(x), to: ymd(addDays(x, 1)) };
    }
    case "week": {
      const [y, w] = label.split("-W").map(Number);
      const first = monday(d(y, 1, 4));
      const start = addDays(first, (w - 1) * 7);
      return { from: ymd(start), to: ymd(addDays(start, 7)) };
    }
    case "month": {
      const [y, m] = label.split("-").map(Number);
      return { from: ymd(d(y, m, 1)), to: ymd(addMonths(d(y, m, 1), 1)) };
    }
    case "quarter": {
      const [y, q] = label.split("-Q").map(Number);
      const start = d(y, (q - 1) * 3 + 1, 1);
      return { from: ymd(start), to: ymd(addMonths(start, 3)) };
    }
    case "year": {
      const y = Number(label);
      return { from: ymd(d(y, 1, 1)), to: ymd(d(y + 1, 1, 1)) };
    }
    default:
      return null;
  }
}

/** `a` within `b`: the later start and the earlier end (as the API compares, by text). */
export function intersect(a: Range, b: Range): Range {
  const norm = (s: string) => (s.length === 10 ? `${s}T00:00` : s);
  const from = norm(a.from) > norm(b.from) ? a.from : b.from;
  const to = norm(a.to) < norm(b.to) ? a.to : b.to;
  return { from, to };
}
