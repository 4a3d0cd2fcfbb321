// Labels in both languages; zh-CN is the default of our first users.
export type Lang = "zh-CN" | "en";

const dict: Record<string, { "zh-CN": string; en: string }> = {
  tagline: { "zh-CN": "呼叫中心运营分析", en: "Contact-center operations analytics" },
  user: { "zh-CN": "用户名", en: "User" },
  password: { "zh-CN": "密码", en: "Password" },
  sign_in: { "zh-CN": "登录", en: "Sign in" },
  sign_out: { "zh-CN": "退出", en: "Sign out" },
  bad_login: { "zh-CN": "用户名或密码错误", en: "Wrong user name or password" },
  wallboard: { "zh-CN": "实时监控大屏", en: "Live wallboard" },
  fullscreen: { "zh-CN": "全屏", en: "Full screen" },
  skill_groups: { "zh-CN": "技能组", en: "Skill groups" },
  channels: { "zh-CN": "渠道", en: "Channels" },
  trend: { "zh-CN": "今日趋势（每15分钟）", en: "Today by 15 minutes" },
  agents: { "zh-CN": "坐席状态", en: "Agents" },
  overall: { "zh-CN": "全部", en: "All" },
  waiting: { "zh-CN": "排队数", en: "Waiting" },
  longest_wait: { "zh-CN": "最长等待", en: "Longest wait" },
  offered: { "zh-CN": "呼入量", en: "Offered" },
  answered: { "zh-CN": "接通量", en: "Answered" },
  abandoned: { "zh-CN": "放弃量", en: "Abandoned" },
  answer_rate: { "zh-CN": "接通率", en: "Answer rate" },
  service_level: { "zh-CN": "服务水平", en: "Service level" },
  asa: { "zh-CN": "平均应答速度", en: "ASA" },
  aht: { "zh-CN": "平均处理时长", en: "AHT" },
  satisfaction: { "zh-CN": "满意度", en: "Satisfaction" },
  answered_within_15s: { "zh-CN": "15秒接通率", en: "Answered ≤15 s" },
  answered_within_30s: { "zh-CN": "30秒接通率", en: "Answered ≤30 s" },
  logged_in: { "zh-CN": "签入", en: "Logged in" },
  idle: { "zh-CN": "空闲", en: "Idle" },
  busy: { "zh-CN": "通话中", en: "On call" },
  acw: { "zh-CN": "话后处理", en: "Wrap-up" },
  break: { "zh-CN": "小休", en: "Break" },
  invisible: { "zh-CN": "隐身", en: "Invisible" },
  no_reason: { "zh-CN": "未注明原因", en: "no reason given" },
  agent: { "zh-CN": "坐席", en: "Agent" },
  state: { "zh-CN": "状态", en: "State" },
  queue: { "zh-CN": "技能组", en: "Queue" },
  time_in_state: { "zh-CN": "持续", en: "In state" },
  handled: { "zh-CN": "今日处理", en: "Handled" },
  live: { "zh-CN": "实时", en: "Live" },
  reconnecting: { "zh-CN": "重连中…", en: "Reconnecting…" },
  alert_firing: { "zh-CN": "告警", en: "Alert" },
  nobody: { "zh-CN": "暂无坐席", en: "No agents logged in" },
  voice: { "zh-CN": "语音", en: "Voice" },
  chat: { "zh-CN": "在线", en: "Chat" },
  email: { "zh-CN": "邮件", en: "Email" },
  video: { "zh-CN": "视频", en: "Video" },
};

export function currentLang(): Lang {
  const q = new URLSearchParams(location.search).get("lang");
  const stored = q ?? localStorage.getItem("ccpulse.lang");
  return stored === "en" ? "en" : "zh-CN";
}

export function t(key: string, lang: Lang = currentLang()): string {
  return dict[key]?.[lang] ?? key;
}

export function applyLabels(lang: Lang = currentLang()): void {
  document.documentElement.lang = lang;
  document.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n ?? "", lang);
  });
}

export function bindLangSwitch(onChange: () => void): void {
  document.querySelectorAll<HTMLAnchorElement>("[data-lang]").forEach((a) => {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      localStorage.setItem("ccpulse.lang", a.dataset.lang ?? "zh-CN");
      const url = new URL(location.href);
      url.searchParams.delete("lang");
      history.replaceState(null, "", url);
      applyLabels();
      onChange();
    });
  });
}
