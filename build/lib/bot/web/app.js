// djbot web page: plain JS, no build step. Untrusted text is only ever set with textContent.
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...kids) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const k of kids) node.append(k);
  return node;
};
const keyInput = $("#apikey");
keyInput.value = localStorage.getItem("djbot-key") || "";
let sessionId = sessionStorage.getItem("djbot-session") || crypto.randomUUID();
sessionStorage.setItem("djbot-session", sessionId);

async function api(path, options = {}) {
  const headers = Object.assign({ "X-Djbot-Client": "web" }, options.headers || {});
  if (keyInput.value.trim()) headers.Authorization = "Bearer " + keyInput.value.trim();
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.blob();
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : `请求失败（${res.status}）`;
    throw new Error(msg);
  }
  return body;
}

// Admin tabs appear only for an admin key (or on a local service without keys).
async function refreshRole() {
  let me = { role: "none", keys_required: true };
  try { me = await api("/v1/me"); } catch (err) { /* shown as no role */ }
  const admin = me.role === "admin";
  document.querySelectorAll("nav button.admin").forEach((b) => (b.hidden = !admin));
  $("#key-toggle").hidden = !me.keys_required;
  $("#key-box").hidden = !me.keys_required || me.role !== "none";
  const active = document.querySelector("nav button.active");
  if (active && active.hidden) showTab("ask");
}
keyInput.addEventListener("change", () => {
  localStorage.setItem("djbot-key", keyInput.value.trim());
  refreshRole();
});
$("#key-toggle").addEventListener("click", () => {
  $("#key-box").hidden = !$("#key-box").hidden;
  if (!$("#key-box").hidden) keyInput.focus();
});

function showTab(name) {
  document.querySelectorAll("nav button, .tab").forEach((n) => n.classList.remove("active"));
  document.querySelector(`nav button[data-tab=${name}]`).classList.add("active");
  $("#tab-" + name).classList.add("active");
  if (name === "kb") loadDocs();
  if (name === "log") loadLog(1);
}
document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

// --- Ask: the conversation, one turn per question, each with its own sources ---
const turns = [];
$("#ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  ask($("#question").value.trim());
});
$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("#ask-form").requestSubmit();
  }
});
$("#new-chat").addEventListener("click", () => {
  sessionId = crypto.randomUUID();
  sessionStorage.setItem("djbot-session", sessionId);
  turns.length = 0;
  $("#conversation").replaceChildren();
  $("#passage").hidden = true;
  $("#question").value = "";
  $("#question").focus();
});

async function ask(question) {
  if (!question || $("#ask-btn").disabled) return;
  $("#ask-btn").disabled = true;
  $("#ask-btn").textContent = "思考中…";
  const turn = el("article", { className: "turn" }, el("div", { className: "q", textContent: question }));
  const body = el("div", { className: "a pending", textContent: "正在查找资料……" });
  turn.append(body);
  $("#conversation").append(turn);
  $("#question").value = "";
  turn.scrollIntoView({ block: "end", behavior: "smooth" });
  try {
    const a = await api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, session_id: sessionId }),
    });
    turns.push(a);
    body.replaceWith(renderAnswer(a));
  } catch (err) {
    body.className = "a";
    body.replaceChildren(el("span", { className: "badge refused", textContent: "出错了" }),
      el("div", { className: "error", textContent: err.message }));
  } finally {
    $("#ask-btn").disabled = false;
    $("#ask-btn").textContent = "提问";
    turn.scrollIntoView({ block: "end" });
  }
}

function badgeFor(a) {
  const outcome = a.outcome || (a.refused ? "refused" : "answered");
  if (a.mode === "welcome") return el("span", { className: "badge ok", textContent: "欢迎" });
  if (outcome === "refused") return el("span", { className: "badge refused", textContent: "知识库中未找到依据" });
  if (outcome === "partial")
    return el("span", { className: "badge partial", textContent: "只能回答一部分",
      title: "知识库只涵盖了问题的一部分，下面只回答有依据的部分" });
  return el("span", { className: "badge ok", textContent: "依据知识库作答" });
}

function renderAnswer(a) {
  const box = el("div", { className: "a" + (a.outcome === "partial" ? " partial" : "") });
  box.append(el("div", { className: "answer-badge" }, badgeFor(a)));
  const text = el("div", { className: "answer-text" });
  // Split on citation markers; each [n] opens that turn's passage, in older turns too.
  for (const part of a.answer.split(/(\[\d+\])/)) {
    const m = part.match(/^\[(\d+)\]$/);
    if (m) text.append(citeLink(a, Number(m[1])));
    else text.append(document.createTextNode(part));
  }
  box.append(text);
  if (a.suggestions && a.suggestions.length) {
    const sug = el("div", { className: "suggestions" });
    sug.append(el("div", { className: "meta", textContent: a.refused ? "您可以试着问问：" : "可以这样问：" }));
    for (const s of a.suggestions) {
      const b = el("button", { type: "button", className: "chip", textContent: s });
      b.addEventListener("click", () => ask(s));
      sug.append(b);
    }
    box.append(sug);
  }
  if (a.citations.length) {
    const list = el("ul", { className: "sources" });
    for (const c of a.citations) {
      const meta = [c.publisher, c.date, c.region].filter(Boolean).join("，") || "来源信息不详";
      const item = el("li", {}, citeLink(a, c.n), ` 《${c.title}》（${meta}）`);
      if (c.section) item.append(` · ${c.section.split(" > ").pop()}`);
      item.append(el("div", { className: "quote", textContent: "“" + c.quote + "”" }));
      list.append(item);
    }
    box.append(el("div", { className: "sources-head", textContent: "来源" }), list);
    const fb = el("div", { className: "feedback", textContent: "这个回答有帮助吗？" });
    const msg = el("span", { className: "feedback-msg" });
    for (const [rating, label, title] of [[1, "有帮助", "这个回答有帮助"], [-1, "没帮助", "这个回答没帮助"]]) {
      const b = el("button", { type: "button", textContent: label, title });
      b.dataset.rating = rating;
      b.addEventListener("click", async () => {
        try {
          await api("/v1/feedback", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ answer_id: a.answer_id, rating }),
          });
          msg.textContent = "感谢反馈！";
        } catch (err) {
          msg.textContent = err.message;
        }
      });
      fb.append(b);
    }
    fb.append(msg);
    box.append(fb);
  }
  return box;
}

function citeLink(a, n) {
  const span = el("span", { className: "cite", textContent: `[${n}]`, title: "查看出处", tabIndex: 0 });
  span.dataset.n = n;
  span.addEventListener("click", () => showPassage(a, n));
  span.addEventListener("keydown", (ev) => ev.key === "Enter" && showPassage(a, n));
  return span;
}

function showPassage(a, n) {
  const c = a.citations.find((x) => x.n === n);
  if (!c) return;
  $("#passage-title").textContent = `[${c.n}] 《${c.title}》`;
  $("#passage-meta").textContent = [c.publisher, c.date, c.region, c.section, c.source].filter(Boolean).join(" · ");
  const ctx = c.context || { before: "", quote: c.quote, after: "" };
  $("#passage-body").replaceChildren(ctx.before, el("mark", { textContent: ctx.quote }), ctx.after);
  $("#passage").hidden = false;
}
$("#passage-close").addEventListener("click", () => ($("#passage").hidden = true));

async function download(path, name) {
  try {
    const blob = await api(path);
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    alert(err.message);
  }
}

// --- Knowledge base ---
async function loadDocs() {
  const body = $("#docs tbody");
  try {
    const { documents } = await api("/v1/documents");
    body.replaceChildren(
      ...documents.map((d) => {
        const del = el("button", { type: "button", textContent: "删除" });
        del.addEventListener("click", async () => {
          if (!confirm(`确定从知识库删除“${d.source}”吗？`)) return;
          try {
            await api("/v1/documents/" + encodeURIComponent(d.source), { method: "DELETE" });
            loadDocs();
          } catch (err) {
            $("#upload-status").textContent = err.message;
          }
        });
        const edit = el("button", { type: "button", textContent: "编辑" });
        edit.addEventListener("click", () => editMeta(d));
        return el("tr", {},
          cell("文档", d.source), cell("标题", d.title), cell("发布单位", d.publisher || ""),
          cell("日期", d.date || ""), cell("地区", d.region || ""), cell("段数", d.chunks),
          el("td", { className: "actions" }, edit, del));
      })
    );
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 7, className: "error", textContent: err.message })));
  }
}

// A table cell that knows its column name, so narrow screens can show rows as labelled cards.
function cell(label, text, props = {}) {
  const td = el("td", Object.assign({ textContent: text }, props));
  td.dataset.label = label;
  return td;
}

let editing = null;
function editMeta(d) {
  editing = d;
  const form = $("#meta-form");
  $("#meta-source").textContent = d.source;
  for (const k of ["title", "publisher", "date", "region"]) form.elements[k].value = d[k] || "";
  $("#meta-status").textContent = "";
  $("#meta-dialog").showModal();
}
$("#meta-cancel").addEventListener("click", () => $("#meta-dialog").close());
$("#meta-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = $("#meta-form");
  const body = {};
  for (const k of ["title", "publisher", "date", "region"]) body[k] = form.elements[k].value.trim();
  $("#meta-status").textContent = "保存中…";
  try {
    const res = await api("/v1/documents/" + encodeURIComponent(editing.source), {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const job = await followJob(res.job);
    if (job.status === "failed") throw new Error(job.error);
    $("#meta-dialog").close();
    $("#upload-status").replaceChildren(el("div", { className: "okmsg", textContent: `已更新“${editing.source}”的信息，并写回 manifest.toml` }));
    loadDocs();
  } catch (err) {
    $("#meta-status").replaceChildren(el("span", { className: "error", textContent: err.message }));
  }
});

async function followJob(jobId) {
  const bar = $("#upload-progress");
  bar.hidden = false;
  for (;;) {
    const job = await api("/v1/jobs/" + jobId);
    if (job.total) { bar.max = job.total; bar.value = job.done; }
    if (job.status !== "running") {
      bar.hidden = true;
      return job;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function showReport(status, report, rejected = []) {
  status.replaceChildren();
  for (const r of rejected) status.append(el("div", { className: "error", textContent: `✗ ${r.file}：${r.message}` }));
  if (!report) return;
  const done = [...report.added, ...report.updated];
  status.append(el("div", { className: "okmsg",
    textContent: `入库完成：新增 ${report.added.length}，更新 ${report.updated.length}，未变 ${report.unchanged.length}，删除 ${report.removed.length}` }));
  for (const name of done) status.append(el("div", { className: "okmsg", textContent: `✓ ${name}` }));
  for (const e of report.errors) status.append(el("div", { className: "error", textContent: `✗ ${e.source}：${e.message}` }));
}

$("#upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = $("#files").files;
  const status = $("#upload-status");
  if (!files.length) { status.textContent = "请先选择文件"; return; }
  const form = new FormData();
  for (const f of files) form.append("files", f);
  status.textContent = "上传中…";
  try {
    const res = await api("/v1/documents", { method: "POST", body: form });
    status.textContent = "入库中…";
    const job = res.job ? await followJob(res.job) : null;
    if (job && job.status === "failed") status.textContent = job.error;
    else showReport(status, job && job.result, res.rejected);
    loadDocs();
  } catch (err) {
    status.replaceChildren(el("div", { className: "error", textContent: err.message }));
  }
});

$("#reindex").addEventListener("click", async () => {
  const status = $("#upload-status");
  status.textContent = "同步中…";
  try {
    const { job } = await api("/v1/reindex", { method: "POST" });
    const done = await followJob(job);
    if (done.status === "failed") status.textContent = done.error;
    else showReport(status, done.result);
    loadDocs();
  } catch (err) {
    status.textContent = err.message;
  }
});

// --- Evaluation ---
const LABELS = [
  ["题目数", (s) => s.n], ["首位命中率 hit@1", (s) => s.retrieval["hit@1"]], ["前5召回率", (s) => s.retrieval["recall@5"]],
  ["MRR@10", (s) => s.retrieval["mrr@10"]], ["要点召回率", (s) => s.answer.key_point_recall],
  ["引用支撑率", (s) => s.grounding.citation_support], ["引用精确率", (s) => s.grounding.citation_precision],
  ["应拒答题的拒答率", (s) => s.refusal.unanswerable_refusal_rate], ["误拒率", (s) => s.refusal.false_refusal_rate],
  ["延迟 p50（毫秒）", (s) => s.latency.p50_ms],
];
$("#eval-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("#eval-file").files[0];
  const status = $("#eval-status");
  if (!file) { status.textContent = "请先选择问题集文件"; return; }
  const form = new FormData();
  form.append("file", file);
  status.textContent = "评测中…";
  $("#eval-summary").replaceChildren();  // never leave the previous run's results under a new message
  $("#eval-report").hidden = true;
  $("#eval-report").removeAttribute("srcdoc");
  try {
    const res = await api("/v1/eval", { method: "POST", body: form });
    status.textContent = `评测完成，共 ${res.summary.n} 题`;
    $("#eval-summary").replaceChildren(
      el("tr", {}, el("th", { textContent: "指标" }), el("th", { textContent: "数值" })),
      ...LABELS.map(([label, get]) => el("tr", {}, el("td", { textContent: label }), el("td", { textContent: String(get(res.summary)) })))
    );
    const frame = $("#eval-report");
    frame.srcdoc = res.report_html;
    frame.setAttribute("sandbox", "");
    frame.hidden = false;
  } catch (err) {
    status.replaceChildren(el("span", { className: "error", textContent: err.message }));
  }
});

$("#tpl-xlsx").addEventListener("click", () => download("/v1/eval/template.xlsx", "问题集模板.xlsx"));
$("#tpl-csv").addEventListener("click", () => download("/v1/eval/template.csv", "问题集模板.csv"));

// --- Log ---
let logPage = 1;
function logParams(page) {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData($("#log-form"))) if (v) p.set(k, v);
  if (page) { p.set("page", page); p.set("size", 20); }
  return p;
}
async function loadLog(page) {
  logPage = page;
  const body = $("#log tbody");
  try {
    const res = await api("/v1/log?" + logParams(page));
    body.replaceChildren(
      ...res.items.map((r) =>
        el("tr", {},
          cell("时间", new Date(r.created_at * 1000).toLocaleString("zh-CN")),
          cell("渠道", r.channel), cell("问题", r.question),
          cell("回答", shorten(r.answer, 120), { title: r.answer }), cell("拒答", r.refused ? "是" : ""),
          cell("评价", r.rating === 1 ? "👍" : r.rating === -1 ? "👎" : ""),
          cell("耗时", Math.round(r.latency_ms) + " ms")))
    );
    const pages = Math.max(1, Math.ceil(res.total / res.size));
    $("#page-info").textContent = `第 ${res.page} / ${pages} 页，共 ${res.total} 条`;
    $("#prev").disabled = res.page <= 1;
    $("#next").disabled = res.page >= pages;
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 7, className: "error", textContent: err.message })));
  }
}
$("#log-form").addEventListener("submit", (e) => { e.preventDefault(); loadLog(1); });
$("#prev").addEventListener("click", () => loadLog(logPage - 1));
$("#next").addEventListener("click", () => loadLog(logPage + 1));
$("#export").addEventListener("click", () => download("/v1/log/export.csv?" + logParams(0), "djbot-log.csv"));

// Cut at a character limit without splitting a "[n]" marker, and say so with an ellipsis.
function shorten(text, limit) {
  if (text.length <= limit) return text;
  let cut = text.slice(0, limit);
  const open = cut.lastIndexOf("[");
  if (open > cut.lastIndexOf("]")) cut = cut.slice(0, open);
  return cut + "…";
}

refreshRole();
