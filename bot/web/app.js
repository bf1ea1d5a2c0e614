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
keyInput.addEventListener("change", () => localStorage.setItem("djbot-key", keyInput.value.trim()));
const sessionId = sessionStorage.getItem("djbot-session") || crypto.randomUUID();
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

// Tabs
document.querySelectorAll("nav button").forEach((b) =>
  b.addEventListener("click", () => {
    document.querySelectorAll("nav button, .tab").forEach((n) => n.classList.remove("active"));
    b.classList.add("active");
    $("#tab-" + b.dataset.tab).classList.add("active");
    if (b.dataset.tab === "kb") loadDocs();
    if (b.dataset.tab === "log") loadLog(1);
  })
);

// --- Ask ---
let current = null;
$("#ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("#question").value.trim();
  if (!question) return;
  $("#ask-btn").disabled = true;
  $("#ask-btn").textContent = "思考中…";
  try {
    current = await api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, session_id: sessionId }),
    });
    renderAnswer(current);
  } catch (err) {
    renderError(err.message);
  } finally {
    $("#ask-btn").disabled = false;
    $("#ask-btn").textContent = "提问";
  }
});

function renderError(message) {
  $("#answer").hidden = false;
  $("#answer-badge").replaceChildren(el("span", { className: "badge refused", textContent: "出错了" }));
  $("#answer-text").replaceChildren(el("span", { className: "error", textContent: message }));
  $("#sources").replaceChildren();
  $("#suggestions").replaceChildren();
}

function renderAnswer(a) {
  $("#answer").hidden = false;
  $("#passage").hidden = true;
  $("#feedback-msg").textContent = "";
  $("#answer-badge").replaceChildren(
    el("span", {
      className: "badge " + (a.refused ? "refused" : "ok"),
      textContent: a.refused ? "知识库中未找到依据" : "依据知识库作答",
    })
  );
  const text = $("#answer-text");
  text.replaceChildren();
  // Split on citation markers; each [n] becomes a clickable element.
  for (const part of a.answer.split(/(\[\d+\])/)) {
    const m = part.match(/^\[(\d+)\]$/);
    if (m) {
      const n = Number(m[1]);
      const span = el("span", { className: "cite", textContent: part, title: "查看出处", tabIndex: 0 });
      span.dataset.n = n;
      span.addEventListener("click", () => showPassage(n));
      span.addEventListener("keydown", (ev) => ev.key === "Enter" && showPassage(n));
      text.append(span);
    } else text.append(document.createTextNode(part));
  }
  const sug = $("#suggestions");
  sug.replaceChildren();
  if (a.refused && a.suggestions.length) {
    sug.append(el("div", { textContent: "您可以试着问问这些相关内容：" }));
    for (const s of a.suggestions) {
      const b = el("button", { type: "button", textContent: s });
      b.addEventListener("click", () => {
        $("#question").value = s.replace(/（《.*》）$/, "");
        $("#question").focus();
      });
      sug.append(b);
    }
  }
  const list = $("#sources");
  list.replaceChildren();
  for (const c of a.citations) {
    const meta = [c.publisher, c.date].filter(Boolean).join("，") || "来源信息不详";
    const item = el("li", {}, el("span", { className: "cite", textContent: `[${c.n}]` }), ` 《${c.title}》（${meta}）`);
    item.firstChild.addEventListener("click", () => showPassage(c.n));
    if (c.section) item.append(` · ${c.section.split(" > ").pop()}`);
    item.append(el("div", { className: "quote", textContent: "“" + c.quote + "”" }));
    list.append(item);
  }
}

function showPassage(n) {
  const c = current && current.citations.find((x) => x.n === n);
  if (!c) return;
  $("#passage-title").textContent = `[${c.n}] 《${c.title}》`;
  $("#passage-meta").textContent = [c.publisher, c.date, c.section, c.source].filter(Boolean).join(" · ");
  const ctx = c.context || { before: "", quote: c.quote, after: "" };
  $("#passage-body").replaceChildren(ctx.before, el("mark", { textContent: ctx.quote }), ctx.after);
  $("#passage").hidden = false;
}
$("#passage-close").addEventListener("click", () => ($("#passage").hidden = true));

document.querySelectorAll(".feedback button").forEach((b) =>
  b.addEventListener("click", async () => {
    if (!current) return;
    try {
      await api("/v1/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answer_id: current.answer_id, rating: Number(b.dataset.rating) }),
      });
      $("#feedback-msg").textContent = "感谢反馈！";
    } catch (err) {
      $("#feedback-msg").textContent = err.message;
    }
  })
);

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
        return el("tr", {},
          el("td", { textContent: d.source }), el("td", { textContent: d.title }),
          el("td", { textContent: d.publisher || "" }), el("td", { textContent: d.date || "" }),
          el("td", { textContent: d.chunks }), el("td", {}, del));
      })
    );
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 6, className: "error", textContent: err.message })));
  }
}

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
          el("td", { textContent: new Date(r.created_at * 1000).toLocaleString("zh-CN") }),
          el("td", { textContent: r.channel }), el("td", { textContent: r.question }),
          el("td", { textContent: r.answer.slice(0, 120) }), el("td", { textContent: r.refused ? "是" : "" }),
          el("td", { textContent: r.rating === 1 ? "👍" : r.rating === -1 ? "👎" : "" }),
          el("td", { textContent: Math.round(r.latency_ms) + " ms" })))
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
$("#export").addEventListener("click", async () => {
  try {
    const blob = await api("/v1/log/export.csv?" + logParams(0));
    const a = el("a", { href: URL.createObjectURL(blob), download: "djbot-log.csv" });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    alert(err.message);
  }
});
