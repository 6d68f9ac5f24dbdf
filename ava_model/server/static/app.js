// AVA web page: score a prompt with POST /v1/score and render the report.
// Every value from the API goes into the page through textContent, never innerHTML.
"use strict";

const state = { modes: {}, platforms: {}, thresholds: { yellow: 0.25, red: 0.5 } };
const GENERATIONS = [["current", "Current"], ["previous", "Previous generation"], ["legacy", "Legacy research"]];

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const fmt = (x) => (typeof x === "number" ? x.toFixed(2) : "–");
// A driver's delta: the risk its phrase adds, signed, with the decimals of the JSON and the CLI (report.DELTA_DECIMALS).
const DELTA_DECIMALS = 3;
const fmtDelta = (x) => `${x < 0 ? "−" : "+"}${Math.abs(x).toFixed(DELTA_DECIMALS)}`;
const modeName = (id) => (state.modes[id] ? state.modes[id].short_name : id);
const platformName = (id) => (state.platforms[id] ? state.platforms[id].name : id);
const lightOf = (risk) => (risk >= state.thresholds.red ? "red" : risk >= state.thresholds.yellow ? "yellow" : "green");

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

// --- start-up: platforms, modes, version -------------------------------------

async function init() {
  $("form").addEventListener("submit", onSubmit);
  $("prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("form").requestSubmit();
  });
  $("copy-rewrite").addEventListener("click", () => copy($("rewrite-prompt").textContent));
  $("copy-ticket").addEventListener("click", () => copy($("ticket").textContent));
  try {
    const [platforms, modes, health] = await Promise.all([
      getJSON("/v1/platforms"), getJSON("/v1/failure-modes"), getJSON("/healthz"),
    ]);
    for (const m of modes) state.modes[m.id] = m;
    fillPlatforms(platforms);
    $("version").textContent = `AVA model ${health.model_version}`;
  } catch (err) {
    showError(`Could not load the platform list (${err.message}). Is the AVA server running?`);
  }
  prefillFromQuery();
}

// "Score your prompt" on a reference page links here with ?prompt=&platform=: fill the form and check it.
function prefillFromQuery() {
  const query = new URLSearchParams(location.search);
  const platform = query.get("platform");
  if (platform && state.platforms[platform]) $("platform").value = platform;
  const prompt = query.get("prompt");
  if (prompt) {
    $("prompt").value = prompt;
    $("form").requestSubmit();
  }
}

function fillPlatforms(platforms) {
  const select = $("platform");
  const chosen = select.value || "sora-2";
  select.replaceChildren();
  for (const [generation, label] of GENERATIONS) {
    const group = el("optgroup", { label });
    for (const p of platforms.filter((x) => x.generation === generation)) {
      state.platforms[p.id] = p;
      const audio = p.audio ? " · audio" : "";
      group.append(el("option", { value: p.id, text: `${p.name} (${p.vendor}${audio})` }));
    }
    if (group.children.length) select.append(group);
  }
  select.value = state.platforms[chosen] ? chosen : platforms[0].id;
}

// --- scoring -----------------------------------------------------------------

async function onSubmit(event) {
  event.preventDefault();
  clearError();
  const prompt = $("prompt").value;
  if (!prompt.trim()) {
    showError("Write or paste a prompt first.", "prompt");
    return;
  }
  const button = $("submit");
  button.disabled = true;
  button.textContent = "Checking…";
  document.body.setAttribute("aria-busy", "true");
  try {
    const response = await fetch("/v1/score", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ prompt, platform: $("platform").value, explain: true }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      showApiError(response.status, data);
      return;
    }
    if (data.thresholds) state.thresholds = data.thresholds;
    render(data.results[0]);
  } catch (err) {
    showError(`Could not reach the AVA server: ${err.message}`);
  } finally {
    button.disabled = false;
    button.textContent = "Check prompt";
    document.body.removeAttribute("aria-busy");
  }
}

function showApiError(status, data) {
  const detail = data && data.detail;
  if (Array.isArray(detail)) {
    const field = (loc) => (Array.isArray(loc) ? loc.filter((x) => x !== "body").join(".") : "");
    const lines = detail.map((d) => (field(d.loc) ? `${field(d.loc)}: ${d.msg}` : d.msg));
    const last = detail[0] && Array.isArray(detail[0].loc) ? detail[0].loc[detail[0].loc.length - 1] : null;
    showError(lines.join("\n"), last);
  } else {
    showError(typeof detail === "string" ? detail : `The server answered ${status}.`);
  }
}

function showError(message, field) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  if (field === "prompt" || field === "platform") $(field).setAttribute("aria-invalid", "true");
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
  $("prompt").removeAttribute("aria-invalid");
  $("platform").removeAttribute("aria-invalid");
}

// --- rendering ---------------------------------------------------------------

function render(report) {
  renderSummary(report);
  renderBars(report);
  renderDrivers(report);
  renderRewrite(report);
  renderAlternatives(report);
  renderEscalation(report);
  $("results").hidden = false;
  $("light").scrollIntoView({ behavior: "smooth", block: "start" });
}

function renderSummary(report) {
  const light = $("light");
  light.textContent = report.light.toUpperCase();
  light.className = `light ${report.light}`;
  const top = report.risks[report.top_mode];
  const verdict = { green: "Low risk", yellow: "Some risk", red: "Likely to fail" }[report.light];
  $("headline").textContent = `${verdict} on ${platformName(report.platform)}`;
  $("subline").textContent =
    `Highest risk: ${modeName(report.top_mode)} ${Math.round(top * 100)}% — the chance this failure shows up in the video.`;
}

function renderBars(report) {
  const { yellow, red } = state.thresholds;
  const rows = Object.entries(report.risks).sort((a, b) => b[1] - a[1]);
  $("bars").replaceChildren(...rows.map(([mode, risk]) => {
    const fill = el("div", { class: `fill ${lightOf(risk)}` });
    fill.style.width = `${Math.max(1, Math.round(risk * 100))}%`;
    const track = el("div", { class: "track", role: "img", "aria-label": `${modeName(mode)} ${fmt(risk)}` }, fill,
      tick(yellow, "yellow"), tick(red, "red"));
    const label = el("span", { class: "bar-label", text: modeName(mode), title: state.modes[mode] ? state.modes[mode].name : mode });
    return el("div", { class: "bar", "data-mode": mode }, label, track, el("span", { class: "bar-value", text: fmt(risk) }));
  }));
  $("bars-legend").textContent = `Marks at ${fmt(yellow)} (yellow) and ${fmt(red)} (red).`;
}

function tick(at, colour) {
  const node = el("span", { class: `tick ${colour}`, "aria-hidden": "true" });
  node.style.left = `${at * 100}%`;
  return node;
}

// Driver offsets are Python string indices (code points); Array.from splits the same way.
function renderDrivers(report) {
  const chars = Array.from(report.prompt);
  const spans = [];
  for (const [mode, list] of Object.entries(report.drivers || {})) {
    for (const d of list) {
      const start = Math.max(0, Math.min(chars.length, d.start));
      const end = Math.max(start, Math.min(chars.length, d.end));
      if (end > start) spans.push({ ...d, start, end, mode });
    }
  }
  const cuts = [...new Set([0, chars.length, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
  const out = $("highlighted");
  out.replaceChildren();
  for (let i = 0; i < cuts.length - 1; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const text = chars.slice(a, b).join("");
    const covering = spans.filter((s) => s.start <= a && s.end >= b);
    if (!covering.length) {
      out.append(text);
      continue;
    }
    const strongest = Math.max(...covering.map((s) => s.delta));
    const mark = el("mark", { class: strongest >= 0.15 ? "strong" : strongest >= 0.05 ? "medium" : "weak", text });
    mark.title = covering.map((s) => changeText(report, s)).join("\n");
    out.append(mark);
  }
  const list = spans.sort((x, y) => y.delta - x.delta).slice(0, 8);
  $("drivers").replaceChildren(...list.map((s) =>
    el("li", {}, el("q", { text: s.text }), el("span", { class: "muted", text: ` ${changeText(report, s)}` }))));
  if (!list.length) $("drivers").append(el("li", { class: "muted", text: "No single phrase stands out: the risk comes from the prompt as a whole." }));
}

function changeText(report, span) {
  const before = report.risks[span.mode];
  const after = Math.max(0, before - span.delta);
  return `adds ${fmtDelta(span.delta)} to the ${modeName(span.mode)} risk (${fmt(before)} → ${fmt(after)} without it)`;
}

function renderRewrite(report) {
  const box = $("rewrite");
  const r = report.rewrite;
  box.hidden = !r;
  if (!r) return;
  $("rewrite-message").textContent = r.message;
  $("rewrite-body").hidden = !r.helped;
  const pill = $("rewrite-light");
  pill.hidden = !r.helped;
  $("rewrite-change").hidden = !r.helped;
  if (!r.helped) return;
  pill.textContent = `now ${r.light.toUpperCase()}`;
  pill.className = `pill ${r.light}`;
  $("rewrite-change").replaceChildren(
    el("span", { text: `${modeName(r.mode)} risk ` }),
    el("strong", { class: `txt-${lightOf(r.risk_before)}`, text: fmt(r.risk_before) }),
    el("span", { text: " → " }),
    el("strong", { class: `txt-${lightOf(r.risk_after)}`, text: fmt(r.risk_after) }),
  );
  $("rewrite-prompt").textContent = r.prompt;
  $("advice").replaceChildren(...(r.advice || []).map((a) => el("li", { text: a })));
}

function renderAlternatives(report) {
  const others = (report.alternatives || []).filter((a) => a.platform !== report.platform);
  const here = report.risks[report.top_mode];
  const usable = others.filter((a) => !a.flagged).slice(0, 5);
  $("alternatives").replaceChildren(...usable.map((a) => {
    const diff = a.max_risk - here;
    const same = Math.abs(diff) < 0.005;
    const chip = el("span", {
      class: `chip ${diff < 0 && !same ? "better" : "worse"}`,
      text: same ? "same" : `${diff < 0 ? "−" : "+"}${fmt(Math.abs(diff))}`,
      title: `highest risk compared with ${platformName(report.platform)}`,
    });
    return el("li", { "data-platform": a.platform },
      el("div", { class: "alt-head" },
        el("span", { class: `dot ${a.light}`, "aria-hidden": "true" }),
        el("strong", { text: a.name }),
        el("span", { class: "muted", text: ` highest risk ${fmt(a.max_risk)}` }), chip),
      el("div", { class: "muted small", text: a.reason }));
  }));
  const safer = usable.some((a) => a.max_risk < here - 0.005);
  $("no-alternatives").hidden = safer;
  $("platforms-title").textContent = safer ? "Safer platforms" : "Other platforms";
  // Many platforms share one reason (e.g. no audio): one line per reason, the platforms after it.
  const byReason = new Map();
  for (const a of others.filter((x) => x.flagged)) {
    const text = a.flag_reason || "flagged";
    const reason = text.charAt(0).toUpperCase() + text.slice(1);
    if (!byReason.has(reason)) byReason.set(reason, []);
    byReason.get(reason).push(a);
  }
  $("flagged-box").hidden = !byReason.size;
  $("flagged-count").textContent = String([...byReason.values()].reduce((n, list) => n + list.length, 0));
  $("flagged").replaceChildren(...[...byReason].map(([reason, list]) =>
    el("li", {}, el("span", { class: "flag-reason", text: `${reason}: ` }),
      ...list.flatMap((a, i) => [i ? ", " : "", el("span", { "data-platform": a.platform, text: a.name })]))));
}

function renderEscalation(report) {
  const box = $("escalation");
  const k = report.escalation;
  box.hidden = !k;
  if (!k) return;
  $("term").textContent = k.technical_term;
  const strength = $("strength");
  strength.textContent = `Documentation: ${k.documentation_strength}`;
  strength.className = `pill strength-${k.documentation_strength.toLowerCase()}`;
  $("strength-reason").textContent = k.strength_reason;
  $("support").replaceChildren(el("span", { text: `${k.support_channel} ` }), contactNode(k.support_contact));
  $("refund").textContent = k.refund_policy;
  $("caveat").textContent = k.caveat;
  $("evidence").replaceChildren(...k.evidence.map((e) => el("li", {}, el("label", {}, el("input", { type: "checkbox" }), el("span", { text: e })))));
  $("ticket").textContent = k.ticket;
  const href = `/modes/${encodeURIComponent(report.top_mode)}?platform=${encodeURIComponent(report.platform)}`;
  const link = el("a", { href, text: `Reference: ${modeName(report.top_mode)} on ${platformName(report.platform)}` });
  if (!$("reference-link")) $("caveat").after(el("p", { id: "reference-link", class: "small" }));
  $("reference-link").replaceChildren(link);
}

// Only http(s) and mail addresses become links; anything else stays text.
function contactNode(contact) {
  if (/^https?:\/\//i.test(contact)) return el("a", { href: contact, target: "_blank", rel: "noopener noreferrer", text: contact });
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact)) return el("a", { href: `mailto:${contact}`, text: contact });
  return el("span", { text: `(${contact})` });
}

// --- clipboard ---------------------------------------------------------------

async function copy(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      copyFallback(text);
    }
    toast("Copied");
  } catch (err) {
    try {
      copyFallback(text);
      toast("Copied");
    } catch (err2) {
      toast("Copy failed: select the text and copy it by hand");
    }
  }
}

function copyFallback(text) {
  const area = el("textarea", { readonly: "", "aria-hidden": "true" });
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("execCommand copy refused");
}

function toast(message) {
  const node = $("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 1800);
}

document.addEventListener("DOMContentLoaded", init);
