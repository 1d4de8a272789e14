// vfx studio page: plain JS, no build step. The server holds all state; this page shows it
// and sends the user's actions. Coordinates sent to the server are video pixels.
"use strict";

const $ = (id) => document.getElementById(id);
let S = null;            // the server's state (GET /api/state)
let current = 0;         // frame shown
let selected = null;     // selected object id
let playing = false;
let timeline = {};
let presetsLoaded = false;
let lastJobState = null;
let embedTimer = null;
let previewTimer = null;
let candidates = null;       // the latest "segment everything": {frame, candidates: [...]}
let showingCandidates = false;
let candidatesJob = null;

// ------------------------------------------------------------------ server calls

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let data;
  try { data = await response.json(); } catch (e) { data = {error: `HTTP ${response.status}`}; }
  if (!response.ok || data.error) {
    notice(data.error || `HTTP ${response.status}`);
    throw new Error(data.error);
  }
  return data;
}

function notice(text) { $("notice").textContent = text || ""; }

let applied = 0;  // states applied so far

async function refresh() {
  const before = applied;
  const data = await api("/api/state");
  // a state that an action's answer overtook (sent before it, answered after it) is stale
  if (applied !== before && S && data.version <= S.version) return;
  apply(data);
}

// ------------------------------------------------------------------ drawing the state

function info() { return S && S.info ? S.info : null; }

function apply(data) {
  const changed = !S || S.version !== data.version;
  S = data;
  applied += 1;
  const vi = info();
  if (!vi) { status("ready — pick a video"); return; }
  $("video-name").textContent = `${vi.name} · ${vi.width}×${vi.height} · ${vi.frame_count} frames`;
  $("frame").style.aspectRatio = `${vi.width} / ${vi.height}`;
  $("marks").setAttribute("viewBox", `0 0 ${vi.width} ${vi.height}`);
  $("scrubber").max = String(vi.frame_count - 1);
  if (selected !== null && !S.objects.some((o) => o.id === selected)) selected = null;
  if (selected === null && S.objects.length) selected = S.objects[S.objects.length - 1].id;
  drawObjects();
  drawOutputs();
  if ($("preset").value !== (S.preset || "")) $("preset").value = S.preset || "";
  const overrides = (S.overrides || []).join("\n");
  if (document.activeElement !== $("preset-set") && $("preset-set").value !== overrides) {
    $("preset-set").value = overrides;
  }
  showJob(S.job);
  const job = S.job;
  if (job && job.kind === "segment" && job.state === "done" && job.id !== candidatesJob) {
    candidatesJob = job.id;
    loadCandidates();
  }
  if (changed) {
    if (!layerShows(current, data.version) && clicking !== current) loadFrame(current);
    drawMarks();
    loadTimeline();
  }
}

function color(id) { return (S.colors && S.colors[id]) || "#ffcc00"; }

function drawObjects() {
  const box = $("objects");
  box.replaceChildren();
  for (const obj of S.objects) {
    const row = document.createElement("div");
    row.className = "obj" + (obj.id === selected ? " selected" : "");
    row.dataset.testid = `object-${obj.id}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = color(obj.id);
    const name = document.createElement("input");
    name.value = obj.name;
    name.dataset.testid = `object-name-${obj.id}`;
    name.addEventListener("change", () => api(`/api/objects/${obj.id}`, {name: name.value}).then(apply));
    name.addEventListener("focus", () => select(obj.id));
    const count = document.createElement("span");
    count.className = "count";
    const stale = (S.stale || []).includes(obj.id);
    count.textContent = `${obj.actions.length} prompt${obj.actions.length === 1 ? "" : "s"}` +
      (S.tracks && S.tracks[obj.id] ? (stale ? " · changed" : " · tracked") : "");
    row.append(swatch, name, count);
    row.addEventListener("click", () => select(obj.id));
    box.append(row);
  }
}

function select(id) {
  selected = id;
  drawObjects();
}

function drawOutputs() {
  const outputs = S.outputs || {};
  link($("render-output"), outputs.render);
  link($("export-output"), outputs.export);
  $("prompts-path").textContent = outputs.prompts || "";
}

function link(element, path) {
  element.replaceChildren();
  if (!path) return;
  const root = S.workspace ? S.workspace + "/" : null;
  if (root && path.startsWith(root)) {
    const a = document.createElement("a");
    a.href = "/media/" + path.slice(root.length).split("/").map(encodeURIComponent).join("/");
    a.textContent = path;
    a.target = "_blank";
    element.append(a);
  } else {
    element.textContent = path;
  }
}

function status(text) { $("status").textContent = text; }

const VERBS = {track: "tracking", render: "rendering", export: "exporting", segment: "segmenting"};
const DONE = {track: "tracked", render: "rendered", export: "exported", segment: "segmented"};

function showJob(job) {
  $("cancel").hidden = !(job && job.state === "running");
  if (!job) { status("ready"); return; }
  if (job.state === "running") {
    const total = job.total ? `/${job.total}` : "";
    status(`${VERBS[job.kind]} ${job.done}${total}${job.message ? " · " + job.message : ""}`);
  } else if (job.state === "done") {
    status(`${DONE[job.kind]} · ready`);
  } else {
    status("ready");
    if (lastJobState !== job.id) { lastJobState = job.id; notice(job.message); }
  }
}

// ------------------------------------------------------------------ frames

let loading = false;
let pending = null;
let imageSerial = 0;

function loadFrame(index) {
  if (!info()) return;
  if (loading) { pending = index; return; }
  loading = true;
  const image = $("frame-image");
  const started = performance.now();
  const version = S.version;
  const done = () => {
    loading = false;
    if (shownLayer && (index !== shownLayer.frame || version >= shownLayer.version)) hideLayer();
    if (!shownLayer) {
      $("frame").dataset.loadedFrame = String(index);
      $("frame").dataset.loadedVersion = String(version);
    }
    $("frame").dataset.loadMs = String(Math.round(performance.now() - started));
    if (pending !== null) { const next = pending; pending = null; loadFrame(next); }
  };
  // "loaded" once decoded and painted, so what the data says is what the user sees
  image.onload = () => image.decode().catch(() => {})
    .then(() => requestAnimationFrame(() => requestAnimationFrame(done)));
  image.onerror = done;
  const picking = showingCandidates && candidates && candidates.frame === index;
  image.src = picking ? `/api/candidates.jpg?v=${version}&n=${imageSerial++}`
    : `/api/frame/${index}.jpg?v=${version}&n=${imageSerial++}`;
}

// ------------------------------------------------------------------ the click's mask layer
// A click's answer carries every object's mask on that frame (run lengths at video size); the
// page draws them over the frame without masks (fetched when the user stopped on the frame),
// so the mask shows without fetching a composited frame. The composited JPEG stays for
// scrubbing and every other change.

let plain = {key: null, image: null, ready: null};  // the current frame without masks
let shownLayer = null;                              // {frame, version} drawn on the canvas
let comingLayer = null;                             // {frame, version} of a click being drawn
let clicking = null;  // the frame of a click in flight: its answer redraws it, so no refetch

function plainFrame(index) {
  const key = `${S.video}:${index}`;
  if (plain.key !== key) {
    const image = new Image();
    const ready = new Promise((resolve) => {
      image.onload = () => image.decode().catch(() => {}).then(() => resolve(true));
      image.onerror = () => resolve(false);
    });
    image.src = `/api/frame/${index}.jpg?plain=1`;
    plain = {key, image, ready};
  }
  return plain.ready;
}

function layerShows(index, version) {
  const same = (l) => l !== null && l.frame === index && l.version === version;
  return same(shownLayer) || same(comingLayer);
}

function hideLayer() {
  shownLayer = null;
  $("mask-layer").hidden = true;
}

// One object's mask (base64 uint32 run lengths, row-major, outside first) tinted and outlined as the server's
// overlay does it: tint at the layer's opacity, then its edge pixels (a 4-neighbour outside the
// mask or the picture) grown to a thickness square reaching thickness/2 right and down.
function objectLayer(obj, width, height, opacity, thickness) {
  const image = new ImageData(width, height);
  const px = new Uint32Array(image.data.buffer);  // one RGBA pixel each (little-endian ABGR)
  const rgb = parseInt(obj.color.slice(1), 16);
  const abgr = (alpha) => ((alpha << 24) | ((rgb & 0xff) << 16) | (rgb & 0xff00) | (rgb >> 16)) >>> 0;
  const tint = abgr(Math.round(255 * opacity)), line = abgr(255);
  const text = atob(obj.rle), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const runs = new Uint32Array(bytes.buffer);  // little-endian, as the server writes them
  let at = 0;
  runs.forEach((n, k) => { if (k % 2) px.fill(tint, at, at + n); at += n; });
  const edges = [];
  at = 0;
  runs.forEach((n, k) => {
    if (k % 2) {
      for (let i = at; i < at + n; i++) {
        const x = i % width, y = (i - x) / width;
        if (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !px[i - 1] ||
            !px[i + 1] || !px[i - width] || !px[i + width]) edges.push(i);
      }
    }
    at += n;
  });
  const low = -(thickness - 1 - Math.floor(thickness / 2)), high = Math.floor(thickness / 2);
  for (const i of edges) {
    const x = i % width, y = (i - x) / width;
    for (let v = Math.max(0, y + low); v <= Math.min(height - 1, y + high); v++) {
      const row = v * width;
      px.fill(line, row + Math.max(0, x + low), row + Math.min(width - 1, x + high) + 1);
    }
  }
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

async function drawLayer(layer, version, clickedAt) {
  const loaded = await plainFrame(layer.frame);
  comingLayer = null;
  if (current !== layer.frame) return;  // the user moved on: that frame is shown
  if (!loaded || !S || S.version !== version) { loadFrame(current); return; }  // the server's
  const vi = info();
  const canvas = $("mask-layer");
  const rect = $("frame").getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(rect.width * dpr));
  canvas.height = Math.max(1, Math.round(rect.height * dpr));
  const g = canvas.getContext("2d");
  g.setTransform(canvas.width / vi.width, 0, 0, canvas.height / vi.height, 0, 0);  // video px
  g.imageSmoothingEnabled = true;
  g.drawImage(plain.image, 0, 0, vi.width, vi.height);
  for (const obj of layer.objects) {  // in id order, as the server's overlay
    g.drawImage(objectLayer(obj, vi.width, vi.height, layer.opacity, layer.thickness), 0, 0);
  }
  canvas.hidden = false;
  shownLayer = {frame: layer.frame, version};
  requestAnimationFrame(() => requestAnimationFrame(() => {  // painted: what the user sees
    if (!layerShows(layer.frame, version)) return;
    const d = $("frame").dataset;
    d.loadedFrame = String(layer.frame);
    d.loadedVersion = String(version);
    d.layerVersion = String(version);
    d.clickMs = String(Math.round(performance.now() - clickedAt));
  }));
}

// ------------------------------------------------------------------ segment everything

async function loadCandidates() {
  candidates = await api("/api/candidates");
  showingCandidates = candidates.frame !== null;
  drawCandidates();
  if (showingCandidates && candidates.frame !== current) show(candidates.frame);
  else loadFrame(current);
}

function drawCandidates() {
  const box = $("candidates");
  box.replaceChildren();
  $("candidates-close").hidden = !showingCandidates;
  if (!showingCandidates || !candidates) return;
  const vi = info();
  const caption = document.createElement("div");
  caption.className = "caption";
  caption.textContent = candidates.candidates.length
    ? `${candidates.candidates.length} candidates on frame ${candidates.frame}: click one to add it`
    : `no candidates found on frame ${candidates.frame}`;
  box.append(caption);
  for (const c of candidates.candidates) {
    const chip = document.createElement("button");
    chip.className = "candidate";
    chip.dataset.testid = `candidate-${c.id}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = c.color;
    const share = vi ? (100 * c.area / (vi.width * vi.height)).toFixed(1) : "?";
    chip.append(swatch, `${c.id} · ${share}%`);
    chip.title = `candidate ${c.id}: predicted IoU ${c.score}`;
    chip.addEventListener("click", () => addCandidate({id: c.id}));
    box.append(chip);
  }
}

async function addCandidate(body) {
  try {
    const data = await api("/api/candidates/add", body);
    selected = data.added;
    notice("");
    apply(data);
  } catch (e) { /* the notice says why */ }
}


function show(index) {
  const vi = info();
  if (!vi) return;
  current = Math.max(0, Math.min(vi.frame_count - 1, index));
  $("scrubber").value = String(current);
  $("frame-index").textContent = String(current);
  $("time").textContent = `${(current / vi.fps).toFixed(2)} s`;
  loadFrame(current);
  drawMarks();
  drawTimeline();
  clearTimeout(embedTimer);
  embedTimer = setTimeout(() => {  // the user stopped here: embed now so a click is fast
    if (playing || S.looks_only) return;
    api("/api/embed", {frame: current}).catch(() => {});
    plainFrame(current);
  }, 250);
  schedulePreview();
}

function drawMarks() {
  const svg = $("marks");
  svg.replaceChildren();
  const vi = info();
  if (!vi) return;
  const r = Math.max(3, vi.width / 120);
  const ns = "http://www.w3.org/2000/svg";
  for (const obj of S.objects) {
    for (const a of obj.actions) {
      if (a.frame !== current) continue;
      if (a.point) {
        const c = document.createElementNS(ns, "circle");
        c.setAttribute("cx", a.point[0]); c.setAttribute("cy", a.point[1]); c.setAttribute("r", r);
        c.setAttribute("fill", a.label ? color(obj.id) : "#000");
        c.setAttribute("stroke", a.label ? "#fff" : color(obj.id));
        c.setAttribute("stroke-width", r / 3);
        svg.append(c);
      } else if (a.box) {
        const b = document.createElementNS(ns, "rect");
        b.setAttribute("x", a.box[0]); b.setAttribute("y", a.box[1]);
        b.setAttribute("width", a.box[2] - a.box[0]); b.setAttribute("height", a.box[3] - a.box[1]);
        b.setAttribute("fill", "none"); b.setAttribute("stroke", color(obj.id));
        b.setAttribute("stroke-width", r / 2);
        svg.append(b);
      }
    }
  }
}

// ------------------------------------------------------------------ prompts on the frame

let press = null;

function toVideo(event) {
  const vi = info();
  const rect = $("frame").getBoundingClientRect();
  return [(event.clientX - rect.left) * vi.width / rect.width,
          (event.clientY - rect.top) * vi.height / rect.height];
}

$("frame").addEventListener("mousedown", (event) => {
  if (event.button !== 0 || !info()) return;
  event.preventDefault();
  press = {x: event.clientX, y: event.clientY, start: toVideo(event), shift: event.shiftKey};
});

window.addEventListener("mousemove", (event) => {
  if (!press) return;
  const moved = Math.hypot(event.clientX - press.x, event.clientY - press.y) > 5;
  if (!moved) return;
  const [x, y] = toVideo(event);
  let rect = $("drag-box");
  if (!rect) {
    rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.id = "drag-box";
    rect.setAttribute("fill", "none");
    rect.setAttribute("stroke", "#fff");
    rect.setAttribute("stroke-dasharray", "4 3");
    rect.setAttribute("stroke-width", Math.max(1, info().width / 400));
    $("marks").append(rect);
  }
  rect.setAttribute("x", Math.min(x, press.start[0])); rect.setAttribute("y", Math.min(y, press.start[1]));
  rect.setAttribute("width", Math.abs(x - press.start[0])); rect.setAttribute("height", Math.abs(y - press.start[1]));
});

window.addEventListener("mouseup", async (event) => {
  if (!press) return;
  const clickedAt = performance.now();
  const start = press;
  press = null;
  const moved = Math.hypot(event.clientX - start.x, event.clientY - start.y) > 5;
  const end = toVideo(event);
  if (!moved && showingCandidates && candidates && candidates.frame === current) {
    await addCandidate({point: start.start});
    return;
  }
  let body;
  if (moved) {
    body = {frame: current, box: [start.start[0], start.start[1], end[0], end[1]]};
  } else {
    body = {frame: current, point: start.start, label: start.shift || event.shiftKey ? 0 : 1};
  }
  await prompt(body, clickedAt);
});

async function ensureObject() {
  if (selected !== null) return selected;
  const data = await api("/api/objects", {});
  selected = data.added;
  apply(data);
  return selected;
}

async function prompt(body, clickedAt) {
  try {
    const id = await ensureObject();
    status("segmenting");
    clicking = body.frame;
    let data;
    try { data = await api(`/api/objects/${id}/prompts`, body); } finally { clicking = null; }
    notice("");
    const layer = data.click && data.click.layer;
    comingLayer = layer ? {frame: layer.frame, version: data.version} : null;
    apply(data);  // without fetching the composited frame when the layer is coming
    if (layer) await drawLayer(layer, data.version, clickedAt);
    if (data.click && data.click.ms !== undefined) $("frame").dataset.decoderMs = String(data.click.ms);
  } catch (e) {
    status("ready");
    drawMarks();
    loadFrame(current);  // what the server has now
  }
}

// ------------------------------------------------------------------ the confidence timeline

async function loadTimeline() {
  try { timeline = await api("/api/timeline"); } catch (e) { timeline = {}; }
  drawTimeline();
}

function absentAt(obj, frame) {
  let last = -1, leave = false;
  for (const a of obj.actions) {
    if (a.frame <= frame && a.frame >= last) {
      leave = a.frame === last ? leave && !!a.leave : !!a.leave;
      last = a.frame;
    }
  }
  return leave;
}

// Per object: a score lane (object score + area; orange ticks: area jumps; white ticks: prompts)
// and under it an IoU lane (the decoder's predicted IoU per frame, as bar height and colour).
const SCORE_LANE = 12, IOU_LANE = 9, OBJECT_LANES = SCORE_LANE + IOU_LANE;

function hue(value) { return `hsl(${Math.round(120 * Math.max(0, Math.min(1, value)))},65%,42%)`; }

function drawTimeline() {
  const canvas = $("timeline");
  const vi = info();
  if (!vi || !S) return;
  const dpr = window.devicePixelRatio || 1;
  const cssHeight = Math.max(1, S.objects.length) * OBJECT_LANES;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(canvas.clientWidth * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  const width = canvas.clientWidth, n = vi.frame_count, step = width / n;
  S.objects.forEach((obj, row) => {
    const y = row * OBJECT_LANES, data = timeline[obj.id];
    const iouY = y + SCORE_LANE, iouH = IOU_LANE - 2;
    for (let f = 0; f < n; f++) {
      let fill = "#2a2d33";
      const absent = absentAt(obj, f);
      if (absent) fill = "#555";
      else if (data) {
        const s = data.score[f];
        const a = data.area[f];
        if (s === null || s === undefined) fill = a ? "hsl(120,60%,40%)" : "#2a2d33";
        else fill = hue(s * (a > 0 ? 1 : 0.3));
      }
      g.fillStyle = fill;
      g.fillRect(f * step, y + 1, Math.max(1, step), SCORE_LANE - 2);
      g.fillStyle = "#202226";
      g.fillRect(f * step, iouY, Math.max(1, step), iouH);
      const iou = data && data.iou ? data.iou[f] : null;
      if (!absent && iou !== null && iou !== undefined) {
        const h = Math.max(1, iouH * Math.max(0, Math.min(1, iou)));
        g.fillStyle = hue(iou);
        g.fillRect(f * step, iouY + iouH - h, Math.max(1, step), h);
      }
    }
    g.fillStyle = color(obj.id);
    g.fillRect(0, y + 1, 3, OBJECT_LANES - 3);
    if (data) {
      g.fillStyle = "#ff9a2e";
      for (const f of data.jumps) g.fillRect(f * step, y + 1, Math.max(2, step / 3), SCORE_LANE - 2);
    }
    g.fillStyle = "#fff";
    for (const a of obj.actions) g.fillRect(a.frame * step + step / 2 - 1, y + SCORE_LANE - 4, 2, 3);
  });
  g.fillStyle = "#fff";
  g.fillRect(current * step + step / 2 - 1, 0, 2, cssHeight);
}

$("timeline").addEventListener("click", (event) => {
  const vi = info();
  if (!vi) return;
  const rect = $("timeline").getBoundingClientRect();
  const lane = Math.floor((event.clientY - rect.top) / OBJECT_LANES);
  if (S.objects[lane]) select(S.objects[lane].id);
  show(Math.floor((event.clientX - rect.left) / rect.width * vi.frame_count));
});

// ------------------------------------------------------------------ looks

function overrides() {
  return $("preset-set").value.split("\n").map((v) => v.trim()).filter(Boolean);
}

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(loadPreview, playing ? 400 : 120);
}

function loadPreview() {
  const name = $("preset").value;
  const image = $("preset-preview");
  if (!name || !info()) { image.hidden = true; return; }
  const query = new URLSearchParams({preset: name, v: String(S.version)});
  for (const o of overrides()) query.append("set", o);
  image.onload = () => { image.hidden = false; image.dataset.frame = String(current); };
  image.onerror = async () => {
    const r = await fetch(image.src);
    try { notice((await r.json()).error); } catch (e) { notice("preview failed"); }
  };
  image.src = `/api/preview/${current}.jpg?${query}`;
}

async function choosePreset() {
  try {
    apply(await api("/api/preset", {preset: $("preset").value, set: overrides()}));
    notice("");
    loadPreview();
  } catch (e) { /* the notice says why */ }
}

$("preset").addEventListener("change", choosePreset);
$("preset-set").addEventListener("change", choosePreset);

async function loadPresets() {
  const data = await api("/api/presets");
  const select = $("preset");
  for (const [name, description] of Object.entries(data.presets)) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    option.title = description;
    select.append(option);
  }
  presetsLoaded = true;
}

// ------------------------------------------------------------------ buttons

function button(id, action) {
  $(id).addEventListener("click", async () => {
    try { await action(); } catch (e) { /* the notice says why */ }
  });
}

button("object-add", async () => {
  const data = await api("/api/objects", {});
  selected = data.added;
  apply(data);
});
button("undo", async () => selected !== null && apply(await api(`/api/objects/${selected}/undo`, {})));
button("clear", async () => selected !== null && apply(await api(`/api/objects/${selected}/clear`, {})));
button("delete", async () => {
  if (selected === null) return;
  const id = selected;
  selected = null;
  apply(await api(`/api/objects/${id}/delete`, {}));
});
button("leave", async () => {
  if (selected === null) { notice("select an object first"); return; }
  apply(await api(`/api/objects/${selected}/prompts`, {frame: current, leave: true}));
});
button("track", async () => { notice(""); apply(await api("/api/track", {})); });
button("render", async () => { notice(""); apply(await api("/api/render", {})); });
button("export", async () => {
  notice("");
  apply(await api("/api/export", {format: $("export-format").value}));
});
button("save-prompts", async () => apply(await api("/api/save-prompts", {})));
button("cancel", async () => apply(await api("/api/cancel", {})));
button("segment-everything", async () => {
  notice("");
  apply(await api("/api/segment", {frame: current}));
});
button("candidates-close", async () => {
  showingCandidates = false;
  drawCandidates();
  loadFrame(current);
});

$("scrubber").addEventListener("input", () => show(Number($("scrubber").value)));

let playTimer = null;
function togglePlay() {
  const vi = info();
  if (!vi) return;
  playing = !playing;
  $("play").textContent = playing ? "Pause" : "Play";
  clearInterval(playTimer);
  if (playing) {
    playTimer = setInterval(() => {
      if (loading) return;  // never queue frames faster than they arrive
      show(current + 1 >= vi.frame_count ? 0 : current + 1);
    }, 1000 / vi.fps);
  }
}
$("play").addEventListener("click", togglePlay);
document.addEventListener("keydown", (event) => {
  if (["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) return;
  if (event.key === " ") { event.preventDefault(); togglePlay(); }
  if (event.key === "ArrowRight") show(current + 1);
  if (event.key === "ArrowLeft") show(current - 1);
});

async function loadVideos() {
  const data = await api("/api/videos");
  const picker = $("video-picker");
  picker.replaceChildren();
  const none = document.createElement("option");
  none.value = "";
  none.textContent = data.videos.length ? "(open a workspace video)" : "(no videos in the workspace)";
  picker.append(none);
  for (const v of data.videos) {
    const option = document.createElement("option");
    option.value = v;
    option.textContent = v;
    picker.append(option);
  }
}
$("video-picker").addEventListener("change", async () => {
  if (!$("video-picker").value) return;
  try {
    selected = null;
    apply(await api("/api/open", {video: $("video-picker").value}));
    show(0);
  } catch (e) { /* the notice says why */ }
});

// ------------------------------------------------------------------ live updates

function listen() {
  const events = new EventSource("/api/events");
  events.onmessage = (message) => {
    const data = JSON.parse(message.data);
    const wasRunning = S && S.job && S.job.state === "running";
    if (S) S.job = data.job;
    if (!S || data.version !== S.version || (wasRunning && data.job && data.job.state !== "running")) {
      refresh().catch(() => {});
    } else {
      showJob(data.job);
    }
  };
}

window.addEventListener("resize", drawTimeline);

(async function start() {
  await Promise.all([loadPresets(), loadVideos()]);
  await refresh();
  show(0);
  listen();
})();
