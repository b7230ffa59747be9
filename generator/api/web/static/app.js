// The merchant page: submit a sheet (or one quick product), follow the job, preview and download clips.
// The API key (when the server requires one) is kept in this browser's localStorage and sent as a Bearer header;
// clip URLs carry the job's own download token, so <video> and plain links work without headers.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "daihuo.apiKey";
const STATE_ZH = { queued: "排队中", running: "生成中", done: "完成", failed: "失败" };
const KIND_ZH = { video: "视频", cover: "封面", subtitles: "字幕" };
let activeTab = "sheet";
let pollTimer = null;

function headers(extra = {}) {
  const key = localStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (!res.ok) {
    const detail = body && body.detail;
    const text = typeof detail === "string" ? detail : (detail && detail.message) || res.statusText;
    const err = new Error(`${res.status}: ${text}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function showError(message) {
  const box = $("form-error");
  box.textContent = message;
  box.hidden = !message;
}

async function init() {
  $("api-key").value = localStorage.getItem(KEY) || "";
  $("save-key").addEventListener("click", () => {
    localStorage.setItem(KEY, $("api-key").value.trim());
    showError("");
  });
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
    activeTab = tab.dataset.tab;
    document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
    $("tab-sheet").hidden = activeTab !== "sheet";
    $("tab-quick").hidden = activeTab !== "quick";
  }));
  $("job-form").addEventListener("submit", submit);
  $("sheet").addEventListener("change", precheck);
  try {
    const health = await api("/healthz");
    $("key-box").hidden = !health.auth;
  } catch (_) { $("key-box").hidden = false; }
  const platforms = await api("/v1/platforms");
  $("platforms").innerHTML = "";
  for (const p of platforms) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" name="platform" value="${p.key}"> ${p.name}`;
    label.querySelector("input").checked = p.key === "douyin";
    $("platforms").appendChild(label);
  }
  for (const p of platforms) {
    const option = document.createElement("option");
    option.value = p.key;
    option.textContent = p.name;
    $("learn-platform").appendChild(option);
  }
  $("learn").addEventListener("click", learn);
  const last = localStorage.getItem("daihuo.lastJob");
  if (last) follow(last, true);
}

function options() {
  const platforms = [...document.querySelectorAll("input[name=platform]:checked")].map((i) => i.value);
  return {
    platforms: platforms.join(","), duration: $("duration").value, voice: $("voice").value,
    variants: $("variants").value, scale: $("scale").value,
  };
}

async function submit(event) {
  event.preventDefault();
  showError("");
  const opts = options();
  if (!opts.platforms) { showError("请至少选择一个平台 / choose at least one platform"); return; }
  let request;
  if (activeTab === "sheet") {
    const sheet = $("sheet").files[0];
    if (!sheet) { showError("请选择商品表格 / choose a sheet file"); return; }
    const form = new FormData();
    form.append("sheet", sheet);
    for (const image of $("images").files) form.append("images", image);
    for (const [k, v] of Object.entries(opts)) form.append(k, v);
    request = { method: "POST", body: form };
  } else {
    const title = $("q-title").value.trim();
    if (!title) { showError("请填写商品名称 / enter a title"); return; }
    const product = {
      sku: "Q-" + Date.now().toString(36).toUpperCase(), title,
      price: $("q-price").value || null, sale_price: $("q-sale").value || null,
      selling_points: $("q-points").value.split("\n").map((s) => s.trim()).filter(Boolean),
      offer: $("q-offer").value.trim(),
    };
    request = { method: "POST", body: JSON.stringify({ products: [product], ...opts }),
                headers: { "Content-Type": "application/json" } };
  }
  $("submit").disabled = true;
  try {
    const job = await api("/v1/jobs", request);
    localStorage.setItem("daihuo.lastJob", job.id);
    follow(job.id, false);
  } catch (err) {
    if (err.status === 401) $("key-box").hidden = false;
    showError(`提交失败 / submit failed — ${err.message}`);
  } finally {
    $("submit").disabled = false;
  }
}

// Compliance pre-check: the sheet's findings by row and column (POST /v1/lint), shown before anything renders.
async function precheck() {
  const box = $("lint-box");
  const sheet = $("sheet").files[0];
  box.hidden = !sheet;
  if (!sheet) return;
  $("lint-summary").textContent = "检查中… checking";
  $("lint-findings").innerHTML = "";
  const form = new FormData();
  form.append("sheet", sheet);
  let result;
  try {
    result = await api("/v1/lint", { method: "POST", body: form });
  } catch (err) {
    if (err.status === 401) $("key-box").hidden = false;
    $("lint-summary").textContent = `预检失败 / pre-check failed — ${err.message}`;
    return;
  }
  const review = result.findings.filter((f) => f.severity === "review").length;
  const rowErrors = result.row_errors || [];
  $("lint-summary").textContent = (result.findings.length
    ? `${result.rows} 行，${result.findings.length} 处问题（${result.blocking} 处禁止，${review} 处需核实）。生成时将按“自动改写”处理。` +
      ` ${result.findings.length} finding(s), ${result.blocking} blocking: they are rewritten when you generate.`
    : `${result.rows} 行，未发现问题 · ${result.cells} cells checked, nothing found`) +
    (rowErrors.length ? ` ${rowErrors.length} 行无法生成 / ${rowErrors.length} row(s) cannot be made — fix them first.` : "");
  box.dataset.blocking = String(result.blocking);
  box.dataset.rowErrors = String(rowErrors.length);
  for (const e of rowErrors) {  // rows `make` would skip: a price that is not a number, an empty name
    const li = document.createElement("li");
    li.className = "finding block row-error";
    li.dataset.row = String(e.row);
    li.textContent = `row ${e.row}, ${e.field}: ${e.problem} — ${e.fix}`;
    $("lint-findings").appendChild(li);
  }
  for (const f of result.findings) {
    const li = document.createElement("li");
    li.className = `finding ${f.severity}`;
    li.dataset.row = String(f.row);
    li.textContent = f.message;
    $("lint-findings").appendChild(li);
  }
}

function follow(jobId, quiet) {
  clearTimeout(pollTimer);
  $("job-box").hidden = false;
  $("results").hidden = true;
  $("job-id").textContent = jobId;
  const tick = async () => {
    let job;
    try { job = await api(`/v1/jobs/${encodeURIComponent(jobId)}`); } catch (err) {
      if (quiet && (err.status === 404 || err.status === 401)) { $("job-box").hidden = true; return; }
      showError(`查询失败 / status failed — ${err.message}`);
      pollTimer = setTimeout(tick, 4000);
      return;
    }
    render(job);
    if (job.state === "done" || job.state === "failed") { showClips(jobId); return; }
    pollTimer = setTimeout(tick, 1500);
  };
  tick();
}

function render(job) {
  const badge = $("job-state");
  badge.textContent = `${STATE_ZH[job.state] || job.state} ${job.state}`;
  badge.className = `badge ${job.state}`;
  $("overall").firstElementChild.style.width = `${Math.round(job.progress * 100)}%`;
  const list = $("products");
  list.innerHTML = "";
  for (const p of job.products) {
    const li = document.createElement("li");
    li.dataset.sku = p.sku;
    li.dataset.state = p.state;
    li.innerHTML = `<div class="name"><span></span><span class="badge ${p.state}">${STATE_ZH[p.state]}</span></div>
      <div class="bar"><span style="width:${Math.round(p.progress * 100)}%"></span></div>`;
    li.querySelector(".name span").textContent = `${p.sku} ${p.title || ""}`;
    if (p.error) {
      const err = document.createElement("div");
      err.className = "err";
      err.textContent = p.error;
      li.appendChild(err);
    }
    list.appendChild(li);
  }
  const rows = $("row-errors");
  const lines = job.row_errors.map((e) => `第 ${e.row} 行 row ${e.row} · ${e.field}: ${e.problem} — ${e.fix}`);
  // A job that failed before any product started (its sheet could not be read) says why here.
  if (job.state === "failed" && !job.products.length && job.error) lines.unshift(job.error);
  if (job.reading) lines.unshift("读取表格中… / reading the sheet…");
  rows.hidden = !lines.length;
  rows.textContent = lines.join("\n");
}

async function showClips(jobId) {
  const data = await api(`/v1/jobs/${encodeURIComponent(jobId)}/artifacts`);
  const groups = new Map();
  for (const f of data.files) {
    if (!f.platform) continue;
    const key = `${f.sku} v${f.variant} · ${f.platform}`;
    if (!groups.has(key)) groups.set(key, {});
    // "douyin.cover.jpg" → "cover.jpg": from the file's own name, as SKU folders may hold dots too.
    const name = f.name || f.path.split("/").pop();
    groups.get(key)[name.slice(f.platform.length + 1)] = f;
  }
  const box = $("clips");
  box.innerHTML = "";
  for (const [title, files] of groups) {
    if (!files.mp4) continue;
    const div = document.createElement("div");
    div.className = "clip";
    const video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.playsInline = true;
    video.src = files.mp4.url;
    if (files["cover.jpg"]) video.poster = files["cover.jpg"].url;
    const caption = document.createElement("div");
    caption.textContent = title;
    const links = document.createElement("div");
    links.className = "links";
    for (const [ext, label] of [["mp4", "下载视频 mp4"], ["cover.jpg", "封面 cover"], ["srt", "字幕 srt"], ["vtt", "字幕 vtt"]]) {
      if (!files[ext]) continue;
      const a = document.createElement("a");
      a.href = files[ext].download_url;
      a.textContent = label;
      a.setAttribute("download", "");
      a.className = `dl-${ext.replace(".", "-")}`;
      links.appendChild(a);
    }
    div.append(video, caption, links);
    box.appendChild(div);
  }
  const report = data.files.find((f) => f.path === "report.md");
  $("report-link").hidden = !report;
  if (report) $("report-link").href = report.url;
  $("results").hidden = false;
}

// Learn: upload an analytics export, show the winners and the insights page (charts) in a frame.
async function learn() {
  const box = $("learn-error");
  box.hidden = true;
  const files = $("export").files;
  if (!files.length) { box.textContent = "请选择导出文件 / choose an export file"; box.hidden = false; return; }
  const form = new FormData();
  for (const file of files) form.append("export", file);
  if ($("learn-platform").value) form.append("platform", $("learn-platform").value);
  $("learn").disabled = true;
  try {
    const result = await api("/v1/learn", { method: "POST", body: form });
    const r = result.rows;
    $("learn-summary").textContent = `${r.used} / ${r.read} 行已匹配 rows used · ${r.errors} 格式错误 malformed · ` +
      `${r.unmatched} 未匹配 unmatched · ${r.ambiguous} 不确定 ambiguous · ${r.duplicates} 重复 duplicate · ` +
      `按 ranked on ${result.objective}`;
    const body = $("winners").tBodies[0];
    body.innerHTML = "";
    for (const w of result.winners) {
      const tr = document.createElement("tr");
      for (const text of [w.factor, w.leader, w.rate, w.verdict]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      tr.dataset.verdict = w.verdict;
      body.appendChild(tr);
    }
    const res = await fetch(result.html_url, { headers: headers() });
    const frame = $("insights");
    frame.onload = () => { frame.style.height = `${frame.contentDocument.documentElement.scrollHeight + 10}px`; };
    frame.srcdoc = await res.text();
    $("learn-result").hidden = false;
  } catch (err) {
    if (err.status === 401) $("key-box").hidden = false;
    box.textContent = `分析失败 / learn failed — ${err.message}`;
    box.hidden = false;
  } finally {
    $("learn").disabled = false;
  }
}

init().catch((err) => showError(`页面加载失败 / page failed to load — ${err.message}`));
