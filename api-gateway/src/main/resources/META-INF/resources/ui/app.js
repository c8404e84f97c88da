// rerank-queue web UI: submits a job, follows it over server-sent events, shows the ranking; a live panel reads the
// gateway's own metrics. Plain browser JavaScript, no build step and no network beyond this gateway.
"use strict";

const $ = (id) => document.getElementById(id);
const recent = new Map(); // job id -> {status, documents, total}
let lastAccepted = null;

$("api-key").value = localStorage.getItem("rerank-api-key") || "";
$("api-key").addEventListener("change", () => localStorage.setItem("rerank-api-key", $("api-key").value));

function headers(extra) {
  const h = Object.assign({}, extra);
  const key = $("api-key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

// A .txt file gives one document per line; .jsonl one per line as a string or {"text": ...}; .json an array of either.
$("file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const text = await file.text();
  let docs;
  try {
    if (/\.json$/i.test(file.name)) {
      docs = JSON.parse(text).map(docText);
    } else if (/\.jsonl$/i.test(file.name)) {
      docs = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => docText(JSON.parse(l)));
    } else {
      docs = text.split(/\r?\n/).filter((l) => l.trim());
    }
    $("documents").value = docs.join("\n");
    $("form-error").textContent = "";
  } catch (err) {
    $("form-error").textContent = file.name + ": " + err.message;
  }
});

function docText(d) {
  return typeof d === "string" ? d : String(d.text ?? "");
}

$("job-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("form-error").textContent = "";
  const documents = $("documents").value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
  const body = { query: $("query").value, documents, return_documents: true, priority: $("priority").value };
  if ($("model").value) body.model = $("model").value;
  const topN = parseInt($("top-n").value, 10);
  if (topN > 0) body.top_n = topN;
  $("submit").disabled = true;
  try {
    const r = await fetch("/v1/rerank/jobs", {
      method: "POST", headers: headers({ "content-type": "application/json" }), body: JSON.stringify(body),
    });
    const answer = await r.json();
    if (r.status !== 202) {
      const fields = (answer.errors || []).map((x) => x.field + ": " + x.message).join("; ");
      $("form-error").textContent = (answer.title || r.status) + ": " + (fields || answer.detail || "");
      return;
    }
    showJob(answer.id, documents.length);
    follow(answer.id, documents);
  } catch (err) {
    $("form-error").textContent = "could not reach the gateway: " + err.message;
  } finally {
    $("submit").disabled = false;
  }
});

function showJob(id, count) {
  $("job-panel").hidden = false;
  $("job-id").textContent = id;
  $("job-status").textContent = "queued";
  $("job-status").className = "";
  $("job-timings").textContent = "";
  $("job-progress").hidden = true;
  $("results").replaceChildren();
  recent.set(id, { status: "queued", documents: count, total: "" });
  renderRecent();
}

// EventSource cannot send an Authorization header, so the stream is read with fetch and parsed here.
async function follow(id, documents) {
  const r = await fetch("/v1/rerank/jobs/" + id + "/events", { headers: headers({ accept: "text/event-stream" }) });
  if (!r.ok) {
    update(id, { status: "error " + r.status });
    return;
  }
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(id, name, JSON.parse(data.join("\n")), documents);
    }
  }
}

function onEvent(id, name, job, documents) {
  const current = $("job-id").textContent === id;
  const t = job.timings || {};
  update(id, { status: job.status, total: t.total_ms ?? "" });
  if (!current) return;
  $("job-status").textContent = job.status;
  $("job-status").className = "status-" + job.status;
  $("job-timings").textContent = "· queued " + (t.queued_ms ?? "–") + " ms"
    + (t.scoring_ms != null ? " · scoring " + t.scoring_ms + " ms" : "") + " · total " + (t.total_ms ?? "–") + " ms";
  if (name === "progress" && job.progress) {
    $("job-progress").hidden = false;
    $("job-progress").max = job.progress.total_pairs;
    $("job-progress").value = job.progress.scored_pairs;
  }
  if (name === "result") {
    $("job-progress").hidden = true;
    renderResults(job.results || [], documents);
  }
  if (name === "error") {
    $("job-timings").textContent += " · " + (job.error || "");
  }
}

function renderResults(results, documents) {
  const max = Math.max(...results.map((r) => r.relevance_score), 1e-9);
  const items = results.map((r) => {
    const li = document.createElement("li");
    li.className = "result";
    const doc = document.createElement("span");
    doc.className = "doc";
    doc.textContent = r.document ? r.document.text : documents[r.index];
    const score = document.createElement("span");
    score.className = "score";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = Math.max(0, (r.relevance_score / max) * 60) + "%";
    const label = document.createElement("span");
    label.textContent = r.relevance_score.toFixed(4) + " · document " + r.index;
    score.append(bar, label);
    li.append(doc, score);
    return li;
  });
  $("results").replaceChildren(...items);
}

function update(id, fields) {
  recent.set(id, Object.assign(recent.get(id) || {}, fields));
  renderRecent();
}

function renderRecent() {
  const rows = [...recent.entries()].reverse().slice(0, 15).map(([id, j]) => {
    const tr = document.createElement("tr");
    const cells = [id.slice(0, 8), j.status, j.documents, j.total];
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      if (i === 0) {
        const c = document.createElement("code");
        c.textContent = v;
        td.append(c);
      } else {
        td.textContent = v;
      }
      if (i === 1) td.className = "status-" + v;
      tr.append(td);
    });
    return tr;
  });
  document.querySelector("#recent tbody").replaceChildren(...rows);
}

// The live panel: the gateway's Prometheus metrics (backlog per lane, drain rate, accepted jobs per second).
function metric(text, name, labels) {
  let sum = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    if (labels && !line.includes(labels)) continue;
    const v = parseFloat(line.slice(line.lastIndexOf(" ") + 1));
    if (!Number.isNaN(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

async function refreshLive() {
  try {
    const text = await (await fetch("/q/metrics", { headers: headers({}) })).text();
    const show = (id, v, digits) => { $(id).textContent = v == null ? "–" : v.toFixed(digits); };
    show("backlog-interactive", metric(text, "rerank_backlog_jobs", 'lane="interactive"'), 0);
    show("backlog-batch", metric(text, "rerank_backlog_jobs", 'lane="batch"'), 0);
    const drain = metric(text, "rerank_backlog_drain_rate");
    $("drain-rate").textContent = drain == null ? "–" : drain.toFixed(1) + " jobs/s";
    const accepted = metric(text, "rerank_jobs_accepted_total");
    const now = Date.now();
    if (lastAccepted && accepted != null) {
      $("accept-rate").textContent = ((accepted - lastAccepted.value) * 1000 / (now - lastAccepted.at)).toFixed(1);
    }
    lastAccepted = accepted == null ? null : { value: accepted, at: now };
  } catch (err) {
    // the gateway is restarting or unreachable; the next refresh tries again
  }
}

// The model list: every model a worker announced, with its pool; one without a live worker is shown as such.
async function refreshModels() {
  try {
    const r = await fetch("/v1/models", { headers: headers({}) });
    if (!r.ok) return;
    const models = (await r.json()).data || [];
    const select = $("model");
    const chosen = select.value;
    select.replaceChildren(new Option("default", ""));
    for (const m of models) {
      const label = m.id + " (" + (m.pool || "default") + (m.state === "ready" ? "" : ", no workers") + ")";
      select.add(new Option(label, m.id));
    }
    select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  } catch (err) {
    // unreachable now; the next refresh tries again
  }
}

refreshLive();
setInterval(refreshLive, 2000);
refreshModels();
setInterval(refreshModels, 10000);
