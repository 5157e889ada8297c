// The Sumi editor: wires the drawing view, the graph view and the API.
import './style.css';
import { api } from './api.js';
import { Drawing } from './draw.js';
import { GraphView, setModelFiles } from './graph_view.js';

const $ = (id) => document.getElementById(id);
const state = { session: null, file: '', frames: {}, pinnedFrames: null, lastRun: null, runSeq: 0, shownSeq: 0, latencies: [], serverMs: [], checksMs: [], requestMs: [], showMs: [], runs: 0, unchangedOutputs: 0, ready: false, references: [] };
window.sumiEditor = state;  // for the browser tests

function setStatus(text, kind = '') {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

// ---- views -----------------------------------------------------------------
function showView(name) {
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.view === name);
  for (const v of document.querySelectorAll('.view')) v.classList.toggle('active', v.id === `view-${name}`);
  if (name === 'graph') requestAnimationFrame(() => graphView.resize());
}
for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => showView(t.dataset.view));

// ---- drawing -----------------------------------------------------------------
const drawing = new Drawing($('paper'), { onChange: () => scheduleRun() });
state.drawing = drawing;
function setTool(tool) {
  drawing.tool = tool;
  for (const [id, t] of [['tool-pen', 'pen'], ['tool-eraser', 'eraser'], ['tool-hint', 'hint']]) $(id).classList.toggle('active', t === tool);
}
$('tool-pen').onclick = () => setTool('pen');
$('tool-eraser').onclick = () => setTool('eraser');
$('tool-hint').onclick = () => setTool('hint');
$('hint-color').oninput = (e) => { drawing.hintColor = e.target.value; setTool('hint'); };
$('pen-width').oninput = (e) => { drawing.penWidth = Number(e.target.value); $('pen-width-value').textContent = e.target.value; };
$('undo').onclick = () => drawing.undo();
$('redo').onclick = () => drawing.redo();
$('clear').onclick = () => { forgetFace(); drawing.clear(); };
document.addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT') return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') { e.preventDefault(); e.shiftKey ? drawing.redo() : drawing.undo(); }
  else if (e.key === 'p') setTool('pen');
  else if (e.key === 'e') setTool('eraser');
  else if (e.key === 'h') setTool('hint');
});
$('strokes-save').onclick = () => {
  const blob = new Blob([JSON.stringify(drawing.toJSON(), null, 1)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'drawing.strokes.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};
$('strokes-load').onchange = async (e) => {
  const f = e.target.files[0];
  if (!f) return;
  forgetFace();
  try { drawing.load(JSON.parse(await f.text())); } catch (err) { setStatus(`cannot load ${f.name}: ${err.message}`, 'error'); }
  e.target.value = '';
};

// ---- graph view -----------------------------------------------------------------
const graphView = new GraphView($('graph-canvas'), $('palette'), {
  onChange: () => { buildControls(); scheduleRun(300); },
  onLevel: () => buildControls(),  // sliders belong to the top graph: none while an instance is open
  pathEl: $('graph-path'),
});
// "save FILE" in the path bar of an opened instance: its file written, the instances' information
// refreshed from the server (for every level shown) and the graph run again.
graphView.onSaveFile = async (file, json) => {
  const r = await api.saveGraph(file, json);
  showProblems(r.problems);
  const { subgraphs } = await api.loadGraph(state.file);
  setStatus(`saved ${file}`, 'ok');
  scheduleRun(0);
  return subgraphs;
};
graphView.onError = (message) => setStatus(message, 'error');
// "open FILE" in the path bar of an opened instance: the subgraph file itself, as the graph edited.
graphView.onEditFile = (file) => openGraph(file).catch((err) => setStatus(err.message, 'error'));
// The palette's subgraph files: an instance of the file, with its interface from the server.
graphView.onAddSubgraph = async (file) => {
  try {
    const { graph, interface: iface, subgraphs } = await api.loadGraph(file);
    graphView.addInstance(file, { file, graph, interface: iface, subgraphs });
  } catch (err) { setStatus(`cannot add ${file}: ${err.message}`, 'error'); }
};
state.graphView = graphView;
window.addEventListener('resize', () => { if ($('view-graph').classList.contains('active')) graphView.resize(); });

async function refreshGraphList(select) {
  const { graphs } = await api.graphs();
  const sel = $('graph-select');
  sel.innerHTML = '';
  for (const g of graphs) {
    const o = document.createElement('option');
    o.value = g.file;
    o.textContent = g.error ? `${g.file} (broken)` : g.file.replace(/\.sumi\.json$/, '');
    o.title = g.doc || g.error || '';
    sel.appendChild(o);
  }
  if (select) sel.value = select;
  graphView.setSubgraphFiles(graphs.filter((g) => g.subgraph), graphs);
  return graphs;
}

async function openGraph(file) {
  const unsaved = graphView.levels.filter((l) => l.dirty).map((l) => l.file);
  if (unsaved.length && !window.confirm(`Discard the unsaved changes to ${unsaved.join(', ')}?`)) {
    $('graph-select').value = state.file;
    return;
  }
  const { graph, problems, subgraphs } = await api.loadGraph(file);
  state.file = file;
  $('graph-select').value = file;
  $('graph-file').value = file;
  graphView.load(graph, subgraphs);
  forgetFace();
  showOutputsField();
  buildControls();
  buildReferences();
  showProblems(problems);
  scheduleRun(0);
}
$('graph-select').onchange = (e) => openGraph(e.target.value).catch((err) => setStatus(err.message, 'error'));
$('graph-reload').onclick = () => openGraph(state.file).catch((err) => setStatus(err.message, 'error'));
$('graph-run').onclick = () => scheduleRun(0);
$('graph-save').onclick = async () => {
  const file = $('graph-file').value.trim();
  try {
    const r = await api.saveGraph(file, graphView.toSumi());
    state.file = file;
    await refreshGraphList(file);
    showProblems(r.problems);
    setStatus(`saved ${r.saved}`, 'ok');
  } catch (err) { setStatus(`save failed: ${err.message}`, 'error'); }
};

// Graph outputs as "name=node.port, ...": editable, so new nodes can be previewed.
function showOutputsField() {
  $('graph-outputs').value = Object.entries(graphView.meta.outputs).map(([k, v]) => `${k}=${v}`).join(', ');
}
$('graph-outputs').onchange = (e) => {
  const outputs = {};
  for (const part of e.target.value.split(',')) {
    const [name, ep] = part.split('=').map((x) => x.trim());
    if (name && ep) outputs[name] = ep;
  }
  graphView.meta.outputs = outputs;
  showOutputsField();
  scheduleRun(0);
};

function showProblems(problems) {
  $('graph-problems').textContent = problems && problems.length ? `${problems.length} problem(s): ${problems.map((p) => p.message).join('; ')}` : '';
}

// ---- sliders for bounded number parameters (e.g. the projection blend per part) ----
// Three significant digits, so small values (a 0.001 ridge) do not read as 0.
const showNumber = (v) => (v === 0 || Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toPrecision(3));
function buildControls() {
  const box = $('controls');
  box.innerHTML = '';
  for (const s of graphView.sliderParams()) {
    const row = document.createElement('label');
    row.className = 'control';
    row.title = s.param.doc || '';
    const name = document.createElement('span');
    name.textContent = s.id;
    const input = document.createElement('input');
    Object.assign(input, { type: 'range', min: s.param.min, max: s.param.max, step: 'any', value: Number(s.widget.value) });
    input.dataset.param = s.id;
    const value = document.createElement('span');
    value.className = 'control-value';
    value.textContent = showNumber(Number(s.widget.value));
    input.oninput = () => {
      s.widget.value = Number(input.value);
      value.textContent = showNumber(Number(input.value));
      graphView.canvas.setDirty(true, false);
      scheduleRun(20);
    };
    row.append(name, input, value);
    box.appendChild(row);
  }
}

// ---- colour reference (AniFaceDrawing) ----
// A graph whose node 'reference' is an io.load_image gets a strip of the
// server's reference images; picking one sets reference.path and re-runs.
function buildReferences() {
  const box = $('references');
  for (const el of [...box.querySelectorAll('button')]) el.remove();
  const node = graphView.nodeById('reference');
  const widget = node?.widgets?.find((w) => w.name === 'path');
  box.hidden = !(node && node.type === 'io.load_image' && widget && state.references.length);
  if (box.hidden) return;
  for (const ref of state.references) {
    const b = document.createElement('button');
    b.className = 'reference';
    b.dataset.name = ref.name;
    b.title = ref.name;
    b.innerHTML = '<img alt="">';
    b.querySelector('img').src = ref.url;
    b.classList.toggle('active', widget.value === ref.graph_path);
    b.onclick = () => {
      widget.value = ref.graph_path;
      for (const o of box.querySelectorAll('button')) o.classList.toggle('active', o === b);
      graphView.canvas.setDirty(true, false);
      scheduleRun(0);
    };
    box.appendChild(b);
  }
}

// ---- shadow guidance ----
$('guidance-show').onchange = (e) => { drawing.showGuidance = e.target.checked; drawing.redraw(); };
$('guidance-choice').onchange = () => updateGuidance(state.lastOutputs || []);
// A graph may offer several guidance outputs (AniFaceDrawing: 'guidance' =
// detail, 'rough_guidance'); the choice box appears when it does.
function guidanceLabel(name) {
  return name === 'guidance' ? 'detail' : name.replace(/_?guidance$/, '').replace(/_/g, ' ') || name;
}
function updateGuidance(outputs) {
  state.lastOutputs = outputs;
  const choices = outputs.filter((o) => o.url && /guidance|shadow/.test(o.name));
  const select = $('guidance-choice');
  const names = choices.map((o) => o.name).join(',');
  if (select.dataset.names !== names) {
    const previous = select.value;
    select.replaceChildren(...choices.map((o) => new Option(guidanceLabel(o.name), o.name)));
    if (choices.some((o) => o.name === previous)) select.value = previous;
    select.dataset.names = names;
  }
  select.hidden = choices.length < 2;
  if ($('guidance-pin').checked) return;
  const g = choices.find((o) => o.name === select.value) || choices[0];
  if (!g) { if (drawing.guidance) { drawing.guidance = null; drawing.redraw(); } return; }
  // A copy of the output's canvas, so that a pinned guidance stays as it was.
  const shown = $('outputs').querySelector(`figure[data-name="${CSS.escape(g.name)}"] canvas`);
  if (!shown?.width) return;
  const copy = document.createElement('canvas');
  [copy.width, copy.height] = [shown.width, shown.height];
  copy.getContext('2d').drawImage(shown, 0, 0);
  copy.dataset.png = shown.dataset.png;  // which output and run it shows
  drawing.guidance = copy;
  drawing.redraw();
}

// ---- running -----------------------------------------------------------------
let timer = null;
function scheduleRun(delay = 0) {
  if (!state.ready) return;
  clearTimeout(timer);
  timer = setTimeout(run, delay);
}

// ---- pinning the located face -------------------------------------------------
// Every run also asks for face.locate's answer (a Frame record: where the face
// sits) and sends the last one back as the node's `previous` frame, which it
// keeps while a stroke barely moves the face (its `hold` parameter): the
// portrait stays put and the untouched parts stay cached. "Pin face" sends the
// last answer in place of the node's output instead (the run request's
// inputs), so further strokes keep the face where it is, however far they go.
const FRAME_OUTPUT = 'located_frame_of_';  // + the face.locate node's id
function locateNodes(graph) {
  return Object.entries(graph.nodes).filter(([, n]) => n.type === 'face.locate').map(([id]) => id);
}
function setFacePin(on) {
  $('face-pin').checked = on;
  state.pinnedFrames = on ? { ...state.frames } : null;
}
$('face-pin').onchange = (e) => { setFacePin(e.target.checked); scheduleRun(0); };
// A new drawing (cleared, loaded) or graph: no previous face to keep.
function forgetFace() {
  setFacePin(false);
  state.frames = {};
}

function strokesInputs(graph) {
  const inputs = {};
  for (const [id, n] of Object.entries(graph.nodes)) if (n.type === 'io.strokes_input') inputs[id] = drawing.toJSON();
  return inputs;
}

async function run() {
  const seq = ++state.runSeq;
  const strokeEnd = drawing.lastStrokeEnd;
  const graph = graphView.toSumi();
  // A subgraph file is edited, not run alone: its interface inputs come from the graphs that instantiate it.
  const inputs = Object.keys(graph.interface?.inputs || {});
  if (inputs.length) {
    setStatus(`a subgraph file: not run on its own (its inputs ${inputs.join(', ')} come from the graphs that use it); save it and open one of them`, 'ok');
    return;
  }
  setStatus('running…', 'busy');
  // The images come back inline as raw pixels, except those already on screen (by content hash).
  const shown = Object.fromEntries([...$('outputs').querySelectorAll('figure[data-hash]')].map((f) => [f.dataset.name, f.dataset.hash]));
  const request = { graph, inputs: strokesInputs(graph), inline_pixels: true, shown };
  // The frames come back as extra graph outputs (a copy of the graph: the view keeps its own), so the
  // run stays a whole-graph run (output nodes run as before).
  const locates = Object.keys(graph.outputs || {}).length ? locateNodes(graph) : [];
  $('face-pin-group').hidden = !locates.length;
  if (locates.length) {
    request.graph = { ...graph, outputs: { ...graph.outputs } };
    for (const id of locates) {
      request.graph.outputs[`${FRAME_OUTPUT}${id}`] = `${id}.frame`;
      if (state.pinnedFrames?.[id]) request.inputs[`${id}.frame`] = state.pinnedFrames[id];
      else if (state.frames[id] && !graph.nodes[id].in?.previous) request.inputs[`${id}.previous`] = state.frames[id];
    }
  }
  let r;
  let sent = performance.now();
  try {
    try {
      r = await api.run(state.session, request);
    } catch (err) {
      if (err.status !== 410) throw err;
      // The server ended this tab's session to make room (its session or cache
      // limit): open a new one and send the graph again.
      await renewSession(state.session);
      if (seq !== state.runSeq) return;
      sent = performance.now();
      r = await api.run(state.session, request);
    }
  } catch (err) {
    if (err.status === 409) return;  // superseded by a newer run
    if (seq !== state.runSeq) return;
    setStatus(err.message, 'error');
    if (err.data?.nodes) showNodes(err.data.nodes);
    return;
  }
  if (seq !== state.runSeq) return;
  state.runs++;
  state.lastRun = { computed: r.computed, cached: r.cached, nodes: r.nodes };
  for (const o of r.outputs) {
    if (!o.record || !o.name.startsWith(FRAME_OUTPUT)) continue;
    const id = o.name.slice(FRAME_OUTPUT.length);
    state.frames[id] = o.record;
    // Pinned before this face.locate had answered (an empty or just-loaded drawing): pin its first answer.
    if (state.pinnedFrames && !state.pinnedFrames[id]) state.pinnedFrames[id] = o.record;
  }
  const replied = performance.now();
  showNodes(r.nodes);
  await showOutputs(r.outputs, r.pixels);
  updateGuidance(r.outputs);
  if (seq !== state.runSeq) return;
  state.shownSeq = seq;
  // Stroke-to-preview latency: from the end of a stroke to its first shown preview.
  let latency = null;
  if (strokeEnd && strokeEnd !== state.lastMeasured) {
    latency = performance.now() - strokeEnd;
    state.lastMeasured = strokeEnd;
    state.latencies.push(latency);
    state.serverMs.push(r.wall_ms);  // the engine run inside it, as the server timed it
    state.checksMs.push(r.server_ms - r.wall_ms);  // the server's parsing and graph checks around the run
    state.requestMs.push(replied - sent - r.server_ms);  // the rest: HTTP, JSON and pixels on both sides
    state.showMs.push(performance.now() - replied);  // fetching and showing the output images
  }
  // Node warnings (e.g. face.locate on an empty canvas) are notes, not errors.
  const notes = r.nodes.filter((n) => n.warning).map((n) => ` · ${n.id}: ${n.warning}`).join('');
  setStatus(`${r.computed} computed, ${r.cached} cached, ${r.total_ms.toFixed(1)} ms` + (latency !== null ? ` · stroke→preview ${latency.toFixed(0)} ms` : '') + notes, 'ok');
}

function showNodes(nodes) {
  const t = $('node-table');
  t.innerHTML = '<tr><th>node</th><th>type</th><th>status</th><th>ms</th></tr>';
  for (const n of nodes) {
    const tr = document.createElement('tr');
    tr.className = `st-${n.status}`;
    if (n.warning) tr.title = n.warning;
    for (const v of [n.id, n.type, n.status, n.ms ? n.ms.toFixed(2) : '']) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    }
    t.appendChild(tr);
    graphView.setStatus(n.id, n.status, n.ms);
  }
}

// Shows the run's image outputs, each in a canvas filled from the raw RGBA
// pixels that came inline with the run's reply (one round trip, and no PNG
// to encode on the server or decode here). An output whose content hash is
// the one on screen comes back marked unchanged, with no pixels (a slider
// that changes only the overlay sends only the overlay). An image too large
// to come inline is fetched as PNG. The caption links to the PNG.
function showOutputs(outputs, pixels) {
  const box = $('outputs');
  const images = outputs.filter((o) => o.url);
  const loads = [];
  const keep = new Set(images.map((o) => o.name));
  for (const fig of [...box.children]) if (!keep.has(fig.dataset.name)) fig.remove();
  for (const o of images) {
    let fig = box.querySelector(`figure[data-name="${CSS.escape(o.name)}"]`);
    if (!fig) {
      fig = document.createElement('figure');
      fig.dataset.name = o.name;
      fig.innerHTML = '<canvas width="0" height="0"></canvas><figcaption><a target="_blank"></a></figcaption>';
      fig.querySelector('a').textContent = o.name;
      fig.querySelector('a').download = `${o.name}.png`;
      box.appendChild(fig);
    }
    const canvas = fig.querySelector('canvas');
    canvas.setAttribute('aria-label', o.name);
    fig.querySelector('a').href = o.url;
    if (o.unchanged && fig.dataset.hash === o.hash) {
      state.unchangedOutputs++;
      continue;
    }
    delete fig.dataset.hash;  // set once this picture is on screen
    const shown = () => { canvas.dataset.png = o.url; if (o.hash) fig.dataset.hash = o.hash; };
    const p = o.pixels;
    const n = p ? p.width * p.height * 4 : 0;
    if (p && pixels && p.offset + n <= pixels.length) {
      if (canvas.width !== p.width || canvas.height !== p.height) [canvas.width, canvas.height] = [p.width, p.height];
      canvas.getContext('2d').putImageData(new ImageData(pixels.subarray(p.offset, p.offset + n), p.width, p.height), 0, 0);
      shown();
    } else {
      loads.push(drawPng(canvas, o.url).then(shown, () => { /* the next run replaces it */ }));
    }
  }
  return Promise.all(loads);
}

// An image too large to come inline: its PNG, decoded by the browser.
async function drawPng(canvas, url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const bmp = await createImageBitmap(await res.blob(), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  if (canvas.width !== bmp.width || canvas.height !== bmp.height) [canvas.width, canvas.height] = [bmp.width, bmp.height];
  canvas.getContext('2d').drawImage(bmp, 0, 0);
  bmp.close();
}

// ---- session -----------------------------------------------------------------
let eventSource = null;

// Live per-node status on the graph canvas while a run is in flight.
function followEvents(session) {
  if (eventSource) eventSource.close();
  eventSource = api.events(session, (ev) => {
    if (!ev.node) return;
    const status = { started: 'started', finished: 'computed', cached: 'cached', failed: 'failed' }[ev.kind];
    if (status) graphView.setStatus(ev.node, status, ev.ms);
  });
}

// A new session in place of `stale` (evicted by the server); runs that failed
// on `stale` at the same time share one renewal.
let renewing = null;
async function renewSession(stale) {
  if (state.session !== stale) return;  // already renewed
  if (!renewing) {
    renewing = api.newSession().then(({ session }) => {
      state.session = session;
      state.renewals = (state.renewals || 0) + 1;
      followEvents(session);
    }).finally(() => { renewing = null; });
  }
  await renewing;
}

// ---- start -----------------------------------------------------------------
async function start() {
  try {
    const [catalogue, { session }, { models }, { references }] =
      await Promise.all([api.nodes(), api.newSession(), api.models(), api.references()]);
    state.session = session;
    state.references = references;
    setModelFiles(models);
    graphView.registerTypes(catalogue);
    followEvents(session);
    const graphs = await refreshGraphList();
    state.ready = true;
    const first = graphs.find((g) => g.file === 'deepfacedrawing.sumi.json') || graphs[0];  // the portrait graph
    if (first) await openGraph(first.file);
    else setStatus('no graphs in the graphs folder', 'error');
    document.body.dataset.ready = '1';
  } catch (err) {
    setStatus(`cannot start: ${err.message}`, 'error');
  }
}
start();
