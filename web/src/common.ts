// What every page shares: the API call that sends an unsigned visitor to the login page,
// safe text in markup, the navigation bar's links and sign-out.
import { t } from "./i18n";

/** The header the server asks of changes made with a session cookie. */
export const CSRF_HEADER = "X-Ccpulse-Request";

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  // The header a page adds to every call: a cross-site form or script cannot (no CORS), so a
  // change asked with this session's cookie comes from our own pages.
  const headers = new Headers(init?.headers);
  headers.set(CSRF_HEADER, "1");
  const res = await fetch(path, { credentials: "same-origin", ...init, headers });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    // Leaving the page: nothing more to do here.
    return new Promise<T>(() => {});
  }
  if (!res.ok) {
    let message = `${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      message = body.error?.message ?? message;
    } catch {
      // not JSON: the status says it
    }
    throw new Error(message);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Text from the data (agent, queue, reason, rule and tenant names) made safe inside HTML. */
export function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Seconds as people read a wait or a call: 45s, 3:05, 1h02m. */
export function duration(s: number): string {
  const secs = Math.max(0, Math.round(s));
  if (secs < 60) return `${secs}s`;
  const m = Math.floor(secs / 60);
  const r = secs % 60;
  if (m < 60) return `${m}:${String(r).padStart(2, "0")}`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** The pages' links, the current one marked, the tenant carried along. */
export function renderNav(current: "wall" | "explore" | "reports" | "staffing", tenant: string): void {
  const nav = document.getElementById("nav");
  if (!nav) return;
  const q = tenant ? `?tenant=${encodeURIComponent(tenant)}` : "";
  nav.innerHTML = (["wall", "explore", "staffing", "reports"] as const)
    .map((p) => `<a href="/${p}${q}" data-page="${p}"${p === current ? ' class="current" aria-current="page"' : ""}>${t(`nav_${p}`)}</a>`)
    .join("");
}

export function bindLogout(): void {
  document.getElementById("logout")?.addEventListener("click", async () => {
    await fetch("/api/v1/logout", { method: "POST", credentials: "same-origin", headers: { [CSRF_HEADER]: "1" } });
    location.href = "/login";
  });
}

export interface TenantInfo {
  name: string;
  timezone: string;
}

/** The tenants the caller sees, and the one to show: as asked, else `demo`, else the first. */
export async function tenants(asked: string | null): Promise<{ list: TenantInfo[]; current: string }> {
  const r = await api<{ tenants: TenantInfo[] }>("/api/v1/tenants");
  const names = r.tenants.map((x) => x.name);
  const current = asked && names.includes(asked) ? asked : names.includes("demo") ? "demo" : (names[0] ?? "default");
  return { list: r.tenants, current };
}
