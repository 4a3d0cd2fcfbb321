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
  answered: { "zh-CN": "人工接通量", en: "Answered" },
  abandoned: { "zh-CN": "呼损数", en: "Abandoned" },
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
  now_value: { "zh-CN": "当前", en: "now" },
  def_waiting: { "zh-CN": "此刻在队列中等待或振铃的客户数", en: "Customers waiting in a queue or ringing an agent right now" },
  def_longest_wait: { "zh-CN": "此刻排队中等得最久的客户已等待的时长", en: "How long the longest-waiting customer has waited so far" },
  other_outcomes: { "zh-CN": "其他", en: "other" },
  ingest_only: { "zh-CN": "此账号只用于写入事件（ingest），没有可查看的页面。", en: "This account only posts events (ingest); it has no pages to view." },
  operator_only: { "zh-CN": "平台运维账号：请使用 API（/api/v1/health、/api/v1/users、/api/v1/tokens）。", en: "Platform operator: use the API (/api/v1/health, /api/v1/users, /api/v1/tokens)." },
  zone: { "zh-CN": "时区", en: "zone" },
  reconnecting: { "zh-CN": "重连中…", en: "Reconnecting…" },
  alert_firing: { "zh-CN": "告警", en: "Alert" },
  nobody: { "zh-CN": "暂无坐席", en: "No agents logged in" },
  voice: { "zh-CN": "语音", en: "Voice" },
  chat: { "zh-CN": "在线", en: "Chat" },
  email: { "zh-CN": "邮件", en: "Email" },
  video: { "zh-CN": "视频", en: "Video" },
  nav_wall: { "zh-CN": "实时大屏", en: "Wall" },
  nav_explore: { "zh-CN": "数据探索", en: "Explore" },
  nav_reports: { "zh-CN": "报表", en: "Reports" },
  explore: { "zh-CN": "数据探索", en: "Explore" },
  metrics: { "zh-CN": "指标", en: "Metrics" },
  rows: { "zh-CN": "行（时间或维度）", en: "Rows (time or dimension)" },
  columns: { "zh-CN": "列（交叉维度）", en: "Columns (cross-tab)" },
  none: { "zh-CN": "无", en: "None" },
  period: { "zh-CN": "时间范围", en: "Period" },
  today: { "zh-CN": "今天", en: "Today" },
  yesterday: { "zh-CN": "昨天", en: "Yesterday" },
  this_week: { "zh-CN": "本周", en: "This week" },
  last_week: { "zh-CN": "上周", en: "Last week" },
  this_month: { "zh-CN": "本月", en: "This month" },
  last_month: { "zh-CN": "上月", en: "Last month" },
  this_quarter: { "zh-CN": "本季度", en: "This quarter" },
  last_quarter: { "zh-CN": "上季度", en: "Last quarter" },
  this_year: { "zh-CN": "今年", en: "This year" },
  last_year: { "zh-CN": "去年", en: "Last year" },
  custom: { "zh-CN": "自定义", en: "Custom" },
  from: { "zh-CN": "开始", en: "From" },
  to: { "zh-CN": "结束（不含）", en: "To (exclusive)" },
  filters: { "zh-CN": "筛选", en: "Filters" },
  add: { "zh-CN": "添加", en: "Add" },
  compare: { "zh-CN": "对比", en: "Compare" },
  cmp_prev: { "zh-CN": "上一周期（环比）", en: "Previous period" },
  cmp_yoy: { "zh-CN": "去年同期（同比）", en: "Same period last year" },
  chart: { "zh-CN": "图表", en: "Chart" },
  auto: { "zh-CN": "自动", en: "Auto" },
  line: { "zh-CN": "折线图", en: "Line" },
  bar: { "zh-CN": "柱状图", en: "Bar" },
  heatmap: { "zh-CN": "热力图", en: "Heatmap" },
  pie: { "zh-CN": "饼图", en: "Pie" },
  export_csv: { "zh-CN": "导出 CSV", en: "Export CSV" },
  export_xlsx: { "zh-CN": "导出 Excel", en: "Export Excel" },
  templates: { "zh-CN": "分析模板", en: "Templates" },
  open_template: { "zh-CN": "打开模板…", en: "Open a template…" },
  save_template: { "zh-CN": "保存为模板", en: "Save as template" },
  template_name: { "zh-CN": "模板名称", en: "Template name" },
  shared: { "zh-CN": "共享", en: "Shared" },
  saved: { "zh-CN": "已保存", en: "Saved" },
  delete: { "zh-CN": "删除", en: "Delete" },
  previous: { "zh-CN": "对比值", en: "Compared" },
  change: { "zh-CN": "变化", en: "Change" },
  total: { "zh-CN": "合计", en: "Total" },
  contacts_of: { "zh-CN": "明细", en: "Contacts" },
  numerator: { "zh-CN": "分子", en: "Numerator" },
  denominator: { "zh-CN": "分母", en: "Denominator" },
  prev_page: { "zh-CN": "上一页", en: "Previous" },
  next_page: { "zh-CN": "下一页", en: "Next" },
  close: { "zh-CN": "关闭", en: "Close" },
  contact: { "zh-CN": "联络详情", en: "Contact" },
  timeline: { "zh-CN": "时间线", en: "Timeline" },
  no_data: { "zh-CN": "该范围内没有数据", en: "No data in this range" },
  click_hint: { "zh-CN": "点击任一数字查看其明细", en: "Click any number to see its contacts" },
  of_total: { "zh-CN": "共", en: "of" },
  loading: { "zh-CN": "加载中…", en: "Loading…" },
  reports: { "zh-CN": "报表", en: "Reports" },
  generate: { "zh-CN": "生成报表", en: "Generate" },
  report: { "zh-CN": "报表", en: "Report" },
  format: { "zh-CN": "格式", en: "Format" },
  op_report: { "zh-CN": "运营报告", en: "Operations report" },
  scorecard: { "zh-CN": "KPI 评分卡", en: "KPI scorecard" },
  quality: { "zh-CN": "服务质量分析", en: "Service quality analysis" },
  schedules: { "zh-CN": "定时报表", en: "Scheduled reports" },
  produced: { "zh-CN": "已生成的报表", en: "Reports produced" },
  every: { "zh-CN": "周期", en: "Every" },
  generated_at: { "zh-CN": "生成时间", en: "Generated" },
  download: { "zh-CN": "下载", en: "Download" },
  nothing_yet: { "zh-CN": "暂无", en: "None yet" },
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
