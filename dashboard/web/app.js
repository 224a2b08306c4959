// Floe's dashboard: reads Flink's REST paths with relative URLs (so it
// works under YARN's web proxy) and renders the page the fragment names.
"use strict";
(function () {
  const main = document.getElementById("main");
  let timer = null;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function num(n) { return n == null || isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US"); }
  function bytes(n) {
    if (n == null || isNaN(n)) return "–";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
  function time(ms) { return ms > 0 ? new Date(ms).toLocaleString() : "–"; }
  function dur(ms) {
    if (ms < 0) return "–";
    if (ms < 1000) return ms + " ms";
    const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + (s % 60) + "s";
  }
  function state(s) { return '<span class="state ' + esc(s) + '">' + esc(s) + "</span>"; }
  async function get(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }
  async function text(path) {
    const r = await fetch(path);
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.text();
  }

  async function overview() {
    const [o, jobs] = await Promise.all([get("overview"), get("jobs/overview")]);
    return "<h1>Overview</h1><div class=cards>" +
      card("TaskManagers", o.taskmanagers) + card("Slots total", o["slots-total"]) + card("Slots available", o["slots-available"]) +
      card("Running jobs", o["jobs-running"]) + card("Finished", o["jobs-finished"]) + card("Canceled", o["jobs-cancelled"]) + card("Failed", o["jobs-failed"]) +
      "</div><h2>Jobs</h2>" + jobTable(jobs.jobs);
  }
  function card(k, v) { return '<div class=card><div class=v>' + esc(v) + "</div><div>" + esc(k) + "</div></div>"; }
  function jobTable(jobs) {
    if (!jobs.length) return "<p>No jobs.</p>";
    return "<table><tr><th>Name</th><th>Job ID</th><th>State</th><th>Start</th><th>Duration</th><th>Tasks</th></tr>" +
      jobs.map(j => "<tr><td><a href='#/job/" + esc(j.jid) + "'>" + esc(j.name) + "</a></td><td>" + esc(j.jid) + "</td><td>" + state(j.state) +
        "</td><td>" + time(j["start-time"]) + "</td><td>" + dur(j.duration) + "</td><td class=num>" + esc(j.tasks.running) + " / " + esc(j.tasks.total) + "</td></tr>").join("") +
      "</table>";
  }
  async function jobs() { return "<h1>Jobs</h1>" + jobTable((await get("jobs/overview")).jobs); }

  // vertexRates sums the subtasks' per-second meters of a vertex (Flink's
  // numRecordsInPerSecond and friends, over the last minute).
  async function vertexRates(id, v) {
    const names = ["numRecordsInPerSecond", "numRecordsOutPerSecond", "numBytesInPerSecond", "numBytesOutPerSecond"];
    const ids = [];
    for (let i = 0; i < v.parallelism; i++) names.forEach(n => ids.push(i + "." + n));
    const ms = await get("jobs/" + id + "/vertices/" + v.id + "/metrics?get=" + ids.join(",")).catch(() => []);
    const sum = n => ms.filter(m => m.id.endsWith("." + n)).reduce((a, m) => a + Number(m.value), 0);
    return ms.length ? { rIn: sum(names[0]), rOut: sum(names[1]), rInB: sum(names[2]), rOutB: sum(names[3]) } : {};
  }

  async function job(id, tab) {
    const d = await get("jobs/" + id);
    const extra = await Promise.all(d.vertices.map(v => Promise.all([
      get("jobs/" + id + "/vertices/" + v.id + "/backpressure").catch(() => null),
      get("jobs/" + id + "/vertices/" + v.id + "/watermarks").catch(() => []),
      vertexRates(id, v),
    ])));
    let h = "<h1>" + esc(d.name) + " " + state(d.state) + "</h1><p class=note>Job " + esc(d.jid) + " · started " + time(d["start-time"]) +
      " · running for " + dur(d.duration) + "</p><div class=buttons>" +
      "<button data-act=cancel>Cancel</button><button data-act=savepoint>Savepoint</button><button data-act=stop>Stop with savepoint</button>" +
      "<span id=actmsg class=note>" + esc(actNotes[id] || "") + "</span></div><p class=tabs><a href='#/job/" + esc(id) + "'>Graph</a><a href='#/job/" + esc(id) +
      "/checkpoints'>Checkpoints</a><a href='#/job/" + esc(id) + "/exceptions'>Exceptions</a></p>";
    if (tab === "checkpoints") h += await checkpoints(id);
    else if (tab === "exceptions") h += await exceptions(id);
    else h += graph(d, extra);
    return h;
  }

  function graph(d, extra) {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 70, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    const rows = [];
    d.vertices.forEach((v, i) => {
      const bp = extra[i][0], wm = extra[i][1], r = extra[i][2];
      const busy = bp && bp.subtasks.length ? bp.subtasks.reduce((a, s) => a + s.busyRatio, 0) / bp.subtasks.length : null;
      const bpr = bp && bp.subtasks.length ? Math.max(...bp.subtasks.map(s => s.ratio)) : null;
      const w = wm.length ? Math.min(...wm.map(m => Number(m.value))) : null;
      const watermark = w == null || w <= -9.2e18 ? "No watermark" : new Date(w).toISOString();
      g.setNode(v.id, { width: 260, height: 108, v, r, busy, bpr, level: bp ? bp["backpressure-level"] : "ok", watermark });
      rows.push("<tr data-vertex='" + esc(v.id) + "' data-records-in='" + esc(v.metrics["read-records"]) + "' data-records-out='" + esc(v.metrics["write-records"]) +
        "'><td>" + esc(v.name) + "</td><td class=num>" + v.parallelism + "</td><td>" + state(v.status) + "</td><td class=num>" + num(v.metrics["read-records"]) +
        "</td><td class=num>" + num(r.rIn) + "</td><td class=num>" + num(v.metrics["write-records"]) + "</td><td class=num>" + num(r.rOut) +
        "</td><td class=num>" + bytes(r.rInB) + "/s</td><td class=num>" + bytes(r.rOutB) + "/s</td><td class=num>" + (busy == null ? "–" : Math.round(busy * 100) + "%") +
        "</td><td class=num>" + (bpr == null ? "–" : Math.round(bpr * 100) + "%") + "</td><td>" + esc(watermark) + "</td></tr>");
    });
    (d.plan.nodes || []).forEach(n => (n.inputs || []).forEach(e => g.setEdge(e.id, n.id, { label: e.ship_strategy })));
    dagre.layout(g);
    const gg = g.graph();
    let svg = "<svg class=dag width='" + Math.ceil(gg.width) + "' height='" + Math.ceil(gg.height) + "'>";
    g.edges().forEach(e => {
      const pts = g.edge(e).points;
      svg += "<path d='M" + pts.map(p => p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" L") + "'/>";
      const mid = pts[Math.floor(pts.length / 2)];
      svg += "<text x='" + mid.x + "' y='" + (mid.y - 6) + "' text-anchor=middle>" + esc(g.edge(e).label || "") + "</text>";
    });
    g.nodes().forEach(id => {
      const n = g.node(id), x = n.x - n.width / 2, y = n.y - n.height / 2;
      const lines = [
        ["title", n.v.name + "  (parallelism " + n.v.parallelism + ")"],
        ["", "in " + num(n.r.rIn) + " rec/s · out " + num(n.r.rOut) + " rec/s"],
        ["", "records in " + num(n.v.metrics["read-records"]) + " · out " + num(n.v.metrics["write-records"])],
        ["", "busy " + (n.busy == null ? "–" : Math.round(n.busy * 100) + "%") + " · backpressured " + (n.bpr == null ? "–" : Math.round(n.bpr * 100) + "%")],
        ["", "watermark: " + n.watermark],
      ];
      svg += "<g class=vertex data-vertex='" + esc(id) + "'><rect class='bp-" + esc(n.level) + "' x='" + x + "' y='" + y + "' width='" + n.width + "' height='" + n.height + "'/>";
      lines.forEach((l, i) => { svg += "<text class='" + l[0] + "' x='" + (x + 10) + "' y='" + (y + 20 + i * 19) + "'>" + esc(l[1]) + "</text>"; });
      svg += "</g>";
    });
    svg += "</svg>";
    return svg + "<h2>Vertices</h2><table id=vertices><tr><th>Name</th><th>Parallelism</th><th>Status</th><th>Records in</th><th>In/s</th><th>Records out</th>" +
      "<th>Out/s</th><th>Bytes in/s</th><th>Bytes out/s</th><th>Busy</th><th>Backpressured</th><th>Watermark</th></tr>" + rows.join("") + "</table>";
  }

  async function checkpoints(id) {
    const c = await get("jobs/" + id + "/checkpoints");
    const n = c.counts || {};
    let h = "<h2>Checkpoints</h2><div class=cards>" + card("Completed", n.completed) + card("Failed", n.failed) + card("In progress", n.in_progress) +
      card("Restored", n.restored) + "</div>";
    const l = c.latest && c.latest.completed;
    if (l) {
      h += "<h2>Latest completed</h2><table><tr><th>ID</th><th>Path</th><th>State size</th><th>Checkpointed size</th><th>Duration</th><th>Alignment</th></tr><tr><td>" +
        esc(l.id) + "</td><td>" + esc(l.external_path || "") + "</td><td class=num>" + bytes(l.state_size) + "</td><td class=num>" + bytes(l.checkpointed_size) +
        "</td><td class=num>" + dur(l.end_to_end_duration) + "</td><td class=num>" + esc(l.alignment_duration ?? "–") + " ms</td></tr></table>";
    }
    // The latest checkpoints and savepoints, newest first (the one in
    // progress, then up to 10 that ended).
    (c.history || []).length && (h += "<h2>History</h2><table id=checkpoint-history><tr><th>ID</th><th>Type</th><th>Status</th><th>Triggered</th>" +
      "<th>Acknowledged</th><th>State size</th><th>Checkpointed size</th><th>Duration</th><th>Path or failure</th></tr>" +
      c.history.map(x => "<tr data-checkpoint='" + esc(x.id) + "' data-status='" + esc(x.status) + "'><td>" + esc(x.id) + "</td><td>" + esc(x.checkpoint_type) +
        "</td><td>" + esc(x.status) + "</td><td>" + time(x.trigger_timestamp) + "</td><td class=num>" + esc(x.num_acknowledged_subtasks) + "/" +
        esc(x.num_subtasks) + "</td><td class=num>" + bytes(x.state_size) + "</td><td class=num>" + bytes(x.checkpointed_size) + "</td><td class=num>" +
        dur(x.end_to_end_duration) + "</td><td>" + esc(x.external_path || x.failure_message || "") + "</td></tr>").join("") + "</table>");
    return h;
  }

  async function exceptions(id) {
    const e = await get("jobs/" + id + "/exceptions");
    const entries = e.exceptionHistory.entries;
    if (!entries.length) return "<h2>Exceptions</h2><p>No exceptions.</p>";
    return "<h2>Exceptions</h2>" + entries.map(x => "<h3>" + time(x.timestamp) + " " + esc(x.exceptionName) + "</h3><pre class=log>" + esc(x.stacktrace) + "</pre>").join("");
  }

  async function taskmanagers() {
    const t = await get("taskmanagers");
    if (!t.taskmanagers.length) return "<h1>TaskManagers</h1><p>No TaskManagers.</p>";
    return "<h1>TaskManagers</h1><table><tr><th>ID</th><th>Data address</th><th>Slots</th><th>Free slots</th><th>Last report</th></tr>" +
      t.taskmanagers.map(m => "<tr><td><a href='#/taskmanager/" + encodeURIComponent(m.id) + "'>" + esc(m.id) + "</a></td><td>" + esc(m.path) + "</td><td class=num>" +
        m.slotsNumber + "</td><td class=num>" + m.freeSlots + "</td><td class=num>" + dur(m.timeSinceLastHeartbeat) + " ago</td></tr>").join("") + "</table>";
  }

  async function taskmanager(id, file) {
    const [m, logs] = await Promise.all([get("taskmanagers/" + encodeURIComponent(id)), get("taskmanagers/" + encodeURIComponent(id) + "/logs")]);
    const mm = m.metrics || {};
    let h = "<h1>TaskManager " + esc(id) + "</h1><div class=cards>" + card("Slots", m.slotsNumber) + card("Free slots", m.freeSlots) +
      card("Heap used", bytes(mm.heapUsed)) + card("Heap committed", bytes(mm.heapCommitted)) + card("Other runtime memory", bytes(mm.nonHeapUsed)) + "</div>";
    h += logList(logs.logs, "#/taskmanager/" + encodeURIComponent(id) + "/");
    if (file) h += "<h2>" + esc(file) + "</h2><pre class=log id=logtext>" + esc(await text("taskmanagers/" + encodeURIComponent(id) + "/logs/" + encodeURIComponent(file))) + "</pre>";
    return h;
  }
  function logList(logs, prefix) {
    if (!logs.length) return "<h2>Logs</h2><p class=note>No log files.</p>";
    return "<h2>Logs</h2><table><tr><th>File</th><th>Size</th><th>Modified</th></tr>" + logs.map(l => "<tr><td><a href='" + prefix + encodeURIComponent(l.name) + "'>" +
      esc(l.name) + "</a></td><td class=num>" + bytes(l.size) + "</td><td>" + time(l.mtime) + "</td></tr>").join("") + "</table>";
  }

  async function jobmanager(file) {
    const [cfg, logs] = await Promise.all([get("jobmanager/config"), get("jobmanager/logs")]);
    let h = "<h1>JobManager</h1><h2>Configuration</h2>" + (cfg.length ? "<table><tr><th>Key</th><th>Value</th></tr>" +
      cfg.map(e => "<tr><td>" + esc(e.key) + "</td><td>" + esc(e.value) + "</td></tr>").join("") + "</table>" : "<p class=note>Defaults only.</p>");
    h += logList(logs.logs, "#/jobmanager/");
    if (file) h += "<h2>" + esc(file) + "</h2><pre class=log id=logtext>" + esc(await text("jobmanager/logs/" + encodeURIComponent(file))) + "</pre>";
    return h;
  }

  // act runs a button. The JobManager takes it with a sign-in code that
  // `floe dashboard` prints (asked for once, kept for this tab); the page
  // never holds the application's secret. The code travels in the body of
  // a PUT, which YARN's web proxy forwards (not POST, nor Authorization).
  const actNotes = {}; // the last button's outcome per job, kept across refreshes
  async function act(kind, id) {
    const say = t => { actNotes[id] = t; const m = document.getElementById("actmsg"); if (m) m.textContent = t; };
    let code = sessionStorage.getItem("floe-code");
    if (!code) {
      code = (prompt("Sign-in code for the buttons (print one with: floe dashboard -Dyarn.application.id=<application id>)") || "").trim();
      if (!code) return;
    }
    try {
      const r = await fetch("v1/dashboard/jobs/" + encodeURIComponent(id) + "/" + kind,
        { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: code }) });
      const b = await r.json().catch(() => ({}));
      if (r.status === 401) {
        sessionStorage.removeItem("floe-code");
        say("refused: " + (b.error || "the sign-in code was not accepted"));
        return;
      }
      if (!r.ok) { say(kind + ": " + (b.error || "HTTP " + r.status)); return; }
      sessionStorage.setItem("floe-code", code);
      say(kind === "cancel" ? "cancel requested" : kind + " requested (request " + (b["request-id"] || "?") + ")");
    } catch (e) { say(kind + ": " + e.message); }
  }

  async function render() {
    const parts = (location.hash.replace(/^#\/?/, "") || "overview").split("/").map(decodeURIComponent);
    let html;
    try {
      switch (parts[0]) {
        case "jobs": html = await jobs(); break;
        case "job": html = await job(parts[1], parts[2]); break;
        case "taskmanagers": html = await taskmanagers(); break;
        case "taskmanager": html = await taskmanager(parts[1], parts[2]); break;
        case "jobmanager": html = await jobmanager(parts[1]); break;
        default: html = await overview();
      }
    } catch (e) { html = "<p class=error>" + esc(e.message) + "</p>"; }
    const scroll = window.scrollY;
    main.innerHTML = html;
    window.scrollTo(0, scroll);
    main.querySelectorAll("button[data-act]").forEach(b => b.addEventListener("click", () => act(b.dataset.act, parts[1])));
    document.getElementById("refreshed").textContent = "refreshed " + new Date().toLocaleTimeString();
    document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
  }

  function schedule() {
    clearTimeout(timer);
    render().finally(() => { timer = setTimeout(schedule, 3000); });
  }
  window.addEventListener("hashchange", schedule);
  schedule();
})();
