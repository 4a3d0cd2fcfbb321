import "./style.css";
import { applyLabels, bindLangSwitch, t } from "./i18n";

applyLabels();
bindLangSwitch(() => {});

const form = document.getElementById("login-form") as HTMLFormElement;
const error = document.getElementById("login-error") as HTMLParagraphElement;

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.textContent = "";
  const name = (document.getElementById("user") as HTMLInputElement).value;
  const password = (document.getElementById("password") as HTMLInputElement).value;
  const res = await fetch("/api/v1/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password }),
  });
  if (res.ok) {
    const next = new URLSearchParams(location.search).get("next");
    // Roles without the live floor start where their figures are; accounts without pages
    // are told so.
    const role = ((await res.json()) as { role?: string }).role ?? "";
    if (role === "ingest" || role === "operator") {
      error.textContent = t(role === "ingest" ? "ingest_only" : "operator_only");
      return;
    }
    const home = ["analyst", "agent"].includes(role) ? "/explore" : "/wall";
    // Only a path of this site: `//host` or `/\host` would leave it.
    location.href = next && /^\/(?![/\\])/.test(next) ? next : home;
  } else {
    error.textContent = t("bad_login");
  }
});
