// The graph view: Sumi graphs on a litegraph canvas (@comfyorg/litegraph).
// Node types come from the catalogue (/api/nodes): ports become typed slots
// (links are type-checked as you drag: an Image input also takes a Mask, a
// Scalar input an Int), parameters become widgets with their ranges, defaults
// and docs as tooltips. Converts both ways between litegraph and the
// *.sumi.json format, keeping layout apart from semantics.
//
// Subgraph instances (nodes of type "subgraph", docs/graph_files.md) are one
// node each, with the instantiated file's interface as ports and its
// parameters as widgets (typed like the inner parameter each one sets). A
// double click opens an instance: its inner graph is shown with the per-node
// status of its inner nodes ("mouth/project"), editable when the graphs
// folder holds the file (saving it changes every instance of it), read-only
// otherwise; the path bar leads back. The palette lists the graphs folder's
// subgraph files.
import { LGraph, LGraphCanvas, LGraphNode, LiteGraph } from '@comfyorg/litegraph';
import '@comfyorg/litegraph/style.css';

const ACCEPTS = { Image: 'Image,Mask', Scalar: 'Scalar,Int' };
const STATUS_COLOURS = { computed: '#4caf50', cached: '#2196f3', fed: '#9e9e9e', failed: '#f44336', started: '#ffb300', notrun: '#757575' };

// Catalogue parameter types ("int", "int list", ...) to one spelling.
const TYPES = { int: 'Int', float: 'Float', bool: 'Bool', enum: 'Enum', 'int list': 'IntList', 'float list': 'FloatList', string: 'String', path: 'Path', model: 'Model' };
const ptype = (p) => TYPES[p.type] || p.type;

// TorchScript files in the models folder, as graph files name them (/api/models):
// model parameters offer them in a list; '' keeps the manifest's default.
let modelFiles = [];
export function setModelFiles(models) {
  modelFiles = models.filter((m) => !m.path.endsWith('.json')).map((m) => m.graph_path);
}

function widgetFor(node, p) {
  const doc = `${p.doc || ''} (${p.type}, default ${JSON.stringify(p.default)})`;
  let w;
  const cb = () => { if (w) w.sumiBound = undefined; node.graph?.onSumiChange?.(); };
  const t = ptype(p);
  switch (t) {
    case 'Int':
    case 'Float': {
      const step = t === 'Int' ? 1 : 0.01;
      w = node.addWidget('number', p.name, p.default, cb, {
        min: p.min ?? -1e9, max: p.max ?? 1e9, step: step * 10, step2: step, precision: t === 'Int' ? 0 : 3, round: t === 'Int' ? 1 : 0,
      });
      break;
    }
    case 'Bool': w = node.addWidget('toggle', p.name, p.default, cb, {}); break;
    case 'Enum': w = node.addWidget('combo', p.name, p.default, cb, { values: p.choices || [] }); break;
    case 'Model': w = node.addWidget('combo', p.name, p.default ?? '', cb, { values: () => ['', ...modelFiles] }); break;
    case 'IntList':
    case 'FloatList': w = node.addWidget('text', p.name, JSON.stringify(p.default), cb, {}); break;
    default: w = node.addWidget('text', p.name, p.default ?? '', cb, {});
  }
  w.tooltip = doc;
  w.sumiParam = p;
  return w;
}

// A node's run status above its title: "computed 3.1 ms".
function drawStatus(node, ctx) {
  if (!node.sumiStatus) return;
  ctx.save();
  ctx.font = '12px sans-serif';
  ctx.fillStyle = STATUS_COLOURS[node.sumiStatus.status] || '#ccc';
  const ms = node.sumiStatus.ms ? ` ${node.sumiStatus.ms.toFixed(1)} ms` : '';
  ctx.fillText(`${node.sumiStatus.status}${ms}`, 4, -LiteGraph.NODE_TITLE_HEIGHT - 6);
  ctx.restore();
}

// An instance's status from its inner nodes': failed, else running, else
// computed if any was, else cached; the time is the inner nodes' total.
function instanceStatus(inner) {
  const all = Object.values(inner);
  const has = (st) => all.some((x) => x.status === st);
  const status = has('failed') ? 'failed' : has('started') ? 'started' : has('computed') ? 'computed' : has('cached') ? 'cached' : all[0]?.status;
  return { status, ms: all.reduce((t, x) => t + (x.ms || 0), 0) };
}

// Positions for the nodes a file places nowhere: columns by depth (the
// longest chain of links from a node without inputs), each as wide as its
// widest node, the nodes stacked in it. `sizes`: id -> [w, h] on the canvas.
function autoLayout(nodes, sizes) {
  const depth = {};
  const visit = (id, seen = new Set()) => {
    if (depth[id] !== undefined) return depth[id];
    if (seen.has(id) || !nodes[id]) return 0;
    seen.add(id);
    let d = 0;
    for (const src of Object.values(nodes[id].in || {})) d = Math.max(d, visit(src.slice(0, src.lastIndexOf('.')), seen) + 1);
    return (depth[id] = d);
  };
  const width = [], y = [], pos = {};
  for (const id of Object.keys(nodes)) {
    const d = visit(id);
    width[d] = Math.max(width[d] || 0, sizes[id][0]);
  }
  const x = [40];
  for (let d = 1; d < width.length; d++) x[d] = x[d - 1] + (width[d - 1] || 0) + 60;
  for (const id of Object.keys(nodes)) {
    const d = depth[id];
    y[d] = y[d] ?? 60;
    pos[id] = [x[d], y[d]];
    y[d] += sizes[id][1] + LiteGraph.NODE_TITLE_HEIGHT + 40;
  }
  return pos;
}

// What a graph file says besides its nodes: name, doc, outputs, variables, interface.
function metaOf(g) {
  const meta = { name: g.name || '', doc: g.doc || '', outputs: { ...(g.outputs || {}) } };
  if (g.variables) meta.variables = g.variables;
  if (g.interface) meta.interface = g.interface;
  return meta;
}

// A parameter value written "$name" (a graph variable) is kept as written
// until its widget is changed.
const isVariableRef = (v) => typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$');

function widgetValue(w) {
  const t = ptype(w.sumiParam);
  if (t === 'IntList' || t === 'FloatList') {
    try { return JSON.parse(w.value); } catch { return w.value; }
  }
  if (t === 'Int') return Math.round(Number(w.value));
  if (t === 'Float') return Number(w.value);
  return w.value;
}

export class GraphView {
  constructor(canvasEl, paletteEl, { onChange, onLevel, pathEl }) {
    this.onLevel = onLevel;  // an instance was opened or closed
    this.canvasEl = canvasEl;
    this.paletteEl = paletteEl;
    this.pathEl = pathEl;
    this.graph = new LGraph();
    // Inside an opened instance an edit changes the subgraph file (saved from the path bar), not the top graph.
    this.graph.onSumiChange = () => (this.levels.length ? this.markDirty() : onChange?.());
    this.graph.onNodeRemoved = () => this.graph.onSumiChange?.();
    this.canvas = new LGraphCanvas(canvasEl, this.graph);
    this.canvas.show_info = false;  // no FPS/debug overlay
    this.descriptors = new Map();
    this.meta = { name: '', doc: '', outputs: {} };
    this.explicitParams = new Map();  // node id -> Set of params set in the file
    this.subgraphs = {};              // instance file (as written) -> {graph, interface, subgraphs} or {error}
    this.subgraphFiles = [];          // the graphs folder's subgraph files, for the palette
    this.levels = [];                 // the opened instances, outermost first: [{id, file, graph, subgraphs}]
    this.top = null;                  // while an instance is open: the top graph (what runs)
    this.lastStatus = new Map();      // flat node id -> {status, ms}, to show again on another level
  }

  registerTypes(catalogue) {
    // Link and slot colours per value kind, as the catalogue gives them (a plugin's kinds too).
    this.kinds = new Map((catalogue.kinds || []).map((k) => [k.name, k]));
    for (const k of this.kinds.values()) {
      if (!k.colour) continue;
      LGraphCanvas.link_type_colors[k.name] = k.colour;
      this.canvas.default_connection_color_byType[k.name] = k.colour;
      if (ACCEPTS[k.name]) this.canvas.default_connection_color_byType[ACCEPTS[k.name]] = k.colour;  // e.g. 'Image,Mask' inputs
    }
    for (const d of catalogue.nodes) {
      this.descriptors.set(d.id, d);
      class SumiNode extends LGraphNode {
        constructor(title) {
          super(title ?? d.id);
          this.sumiType = d.id;
          for (const p of d.inputs) this.addInput(p.name, ACCEPTS[p.kind] || p.kind, { tooltip: `${p.kind}: ${p.doc || ''}` });
          for (const p of d.outputs) this.addOutput(p.name, p.kind, { tooltip: `${p.kind}: ${p.doc || ''}` });
          for (const p of d.params) widgetFor(this, p);
          this.properties = { sumi_id: '' };
          this.serialize_widgets = true;
        }
        onConnectionsChange() { this.graph?.onSumiChange?.(); }
        onDrawForeground(ctx) { drawStatus(this, ctx); }
      }
      SumiNode.title = d.id;
      SumiNode.desc = d.doc;
      LiteGraph.registerNodeType(d.id, SumiNode);
    }
    // A subgraph instance: its ports and widgets come from its file (configureInstance).
    const view = this;
    class InstanceNode extends LGraphNode {
      constructor(title) {
        super(title ?? 'subgraph');
        this.sumiType = 'subgraph';
        this.properties = { sumi_id: '', file: '' };
        this.color = '#3d4f6b';
        this.bgcolor = '#2c3543';
      }
      onConnectionsChange() { this.graph?.onSumiChange?.(); }
      onDrawForeground(ctx) { drawStatus(this, ctx); }
      // litegraph calls both on a double click on the title: open once.
      onDblClick() { this.open(); }
      onNodeTitleDblClick() { this.open(); }
      open() { if (view.nodeById(this.properties.sumi_id) === this) view.openInstance(this.properties.sumi_id); }
    }
    InstanceNode.title = 'subgraph';
    InstanceNode.desc = 'an instance of a graph file';
    LiteGraph.registerNodeType('sumi/subgraph', InstanceNode);
    this.buildPalette();
  }

  // Subgraph files of the graphs folder ([{file, doc}]) for the palette.
  setSubgraphFiles(files, all = []) {
    this.subgraphFiles = files;
    this.otherFiles = all;  // every file of the graphs folder (an instance may name any of them)
    this.buildPalette();
  }

  buildPalette() {
    const byCat = new Map();
    for (const d of this.descriptors.values()) {
      const cat = d.category || d.id.split('.')[0];
      if (!byCat.has(cat)) byCat.set(cat, []);
      byCat.get(cat).push(d);
    }
    this.paletteEl.innerHTML = '<h3>Nodes</h3>';
    if (this.subgraphFiles.length) {
      const h = document.createElement('h4');
      h.textContent = 'subgraphs';
      this.paletteEl.appendChild(h);
      for (const g of this.subgraphFiles) {
        const b = document.createElement('button');
        b.className = 'palette-item subgraph-item';
        b.textContent = g.file.replace(/\.sumi\.json$/, '');
        b.title = `${g.doc || ''} (subgraph file ${g.file})`;
        b.dataset.file = g.file;
        b.addEventListener('click', () => this.onAddSubgraph?.(g.file));
        this.paletteEl.appendChild(b);
      }
    }
    for (const [cat, list] of [...byCat].sort()) {
      const h = document.createElement('h4');
      h.textContent = cat;
      this.paletteEl.appendChild(h);
      for (const d of list) {
        const b = document.createElement('button');
        b.className = 'palette-item';
        b.textContent = d.id;
        // Output nodes (they write files) run without being graph outputs.
        b.title = d.output_node ? `${d.doc} (output node: runs without being a graph output)` : d.doc;
        // A plugin's node says which file it comes from (docs/plugins.md).
        if (d.origin && d.origin !== 'built-in') {
          b.title += `\nfrom ${d.origin}`;
          b.classList.add('plugin-node');
        }
        if (d.output_node) b.classList.add('output-node');
        b.dataset.type = d.id;
        b.addEventListener('click', () => this.addNode(d.id));
        this.paletteEl.appendChild(b);
      }
    }
  }

  uniqueId(base) {
    const used = new Set(this.graph._nodes.map((n) => n.properties.sumi_id));
    let id = base, i = 2;
    while (used.has(id)) id = `${base}${i++}`;
    return id;
  }

  // Throws when the level shown cannot be edited (an instance whose file is outside the graphs folder).
  checkEditable() {
    if (this.levels.length && !this.levels.at(-1).editable)
      throw new Error(`${this.levels.at(-1).file} is outside the graphs folder: its inside is read-only here`);
  }

  currentSubgraphs() { return this.levels.length ? this.levels.at(-1).subgraphs : this.subgraphs; }

  addNode(type, id, pos) {
    this.checkEditable();
    const node = LiteGraph.createNode(type);
    if (!node) throw new Error(`unknown node type ${type}`);
    return this.placeNode(node, id || this.uniqueId(type.split('.').pop()), pos);
  }

  placeNode(node, sid, pos) {
    node.properties.sumi_id = sid;
    node.title = sid;
    const off = this.canvas.ds?.offset || [0, 0];
    node.pos = pos || [-off[0] + 60 + 20 * (this.graph._nodes.length % 8), -off[1] + 60 + 20 * (this.graph._nodes.length % 8)];
    this.graph.add(node);
    this.graph.onSumiChange?.();
    return node;
  }

  // A new instance of `file` (info: what GET /api/graphs/FILE answers: {graph, interface, subgraphs}).
  addInstance(file, info, id, pos) {
    this.checkEditable();
    if (info) this.currentSubgraphs()[file] = info;
    const node = LiteGraph.createNode('sumi/subgraph');
    this.configureInstance(node, file, this.currentSubgraphs());
    return this.placeNode(node, id || this.uniqueId(file.replace(/\.sumi\.json$/, '').replace(/[^A-Za-z0-9_-]/g, '_')), pos);
  }

  // Ports and widgets of an instance of `file` from its interface; an instance
  // whose file did not load keeps the ports its links use (`ports`) and shows why.
  configureInstance(node, file, subgraphs, ports = { inputs: [], outputs: [] }) {
    node.properties.file = file;
    const info = subgraphs[file];
    const iface = info?.interface;
    if (!iface) {
      node.sumiError = info?.error || `the subgraph file ${file} is not loaded`;
      node.color = '#7a2e2e';
      for (const p of ports.inputs) node.addInput(p, '*');
      for (const p of ports.outputs) node.addOutput(p, '*');
    } else {
      for (const p of iface.inputs) node.addInput(p.name, ACCEPTS[p.kind] || p.kind || '*', { tooltip: `${p.kind}: ${p.doc || ''}` });
      for (const p of iface.outputs) node.addOutput(p.name, p.kind || '*', { tooltip: `${p.kind}: ${p.doc || ''}` });
      for (const p of iface.params) widgetFor(node, p);
    }
    node.serialize_widgets = true;
    node.sumiExtra = {};  // parameters the interface does not list, kept as written (validation names them)
    node.setSize(node.computeSize());
  }

  nodeById(id) { return this.graph._nodes.find((n) => n.properties.sumi_id === id); }

  // A *.sumi.json object onto the canvas; `subgraphs`: its instances' files
  // (GET /api/graphs/NAME's "subgraphs").
  load(g, subgraphs = {}) {
    this.lastStatus = new Map();
    this.levels = [];
    this.top = null;
    this.subgraphs = subgraphs;
    this.meta = metaOf(g);
    this.setView({ offset: [0, 0], scale: 1 });  // a graph opens at its origin
    this.render(g, subgraphs, false);
  }

  // `vars`: inside an instance, the values its variables take there (shown by the widgets bound to them).
  render(g, subgraphs, readOnly, vars = null) {
    const quiet = this.graph.onSumiChange;
    this.graph.onSumiChange = null;
    this.graph.clear();
    this.canvas.read_only = readOnly;
    this.explicitParams = new Map();
    const layout = g.layout || {};
    const ids = Object.keys(g.nodes || {});
    // The output ports that links use, for instances whose file did not load.
    const used = new Map();
    for (const n of Object.values(g.nodes || {}))
      for (const src of Object.values(n.in || {})) {
        const dot = src.lastIndexOf('.');
        if (!used.has(src.slice(0, dot))) used.set(src.slice(0, dot), new Set());
        used.get(src.slice(0, dot)).add(src.slice(dot + 1));
      }
    ids.forEach((id) => {
      const n = g.nodes[id];
      const pos = layout[id] ? [...layout[id]] : [0, 0];  // placed below when the file gives no position
      const params = n.params || {};
      let node;
      if (n.type === 'subgraph') {
        node = LiteGraph.createNode('sumi/subgraph');
        this.configureInstance(node, String(params.file ?? ''), subgraphs,
          { inputs: Object.keys(n.in || {}), outputs: [...(used.get(id) || [])] });
        this.placeNode(node, id, pos);
      } else {
        node = LiteGraph.createNode(n.type);
        if (!node) throw new Error(`unknown node type ${n.type} (node '${id}')`);
        this.placeNode(node, id, pos);
      }
      this.explicitParams.set(id, new Set(Object.keys(params)));
      for (const w of node.widgets || []) {
        if (!(w.sumiParam.name in params)) continue;
        const v = params[w.sumiParam.name];
        if (isVariableRef(v)) {
          w.sumiBound = v;
          w.label = `${w.sumiParam.name} = ${v}`;
          const shown = vars?.[v.slice(1)];
          if (shown !== undefined && !isVariableRef(shown)) w.value = Array.isArray(shown) ? JSON.stringify(shown) : shown;
          continue;
        }
        w.value = Array.isArray(v) ? JSON.stringify(v) : v;
      }
      if (node.sumiExtra)
        for (const [k, v] of Object.entries(params))
          if (k !== 'file' && !(node.widgets || []).some((w) => w.sumiParam.name === k)) node.sumiExtra[k] = v;
      if (readOnly) for (const w of node.widgets || []) w.disabled = true;
    });
    const sizes = Object.fromEntries(ids.map((id) => [id, this.nodeById(id).size]));
    const auto = autoLayout(g.nodes || {}, sizes);
    for (const id of ids) if (!layout[id]) this.nodeById(id).pos = auto[id];
    for (const id of ids) {
      const dst = this.nodeById(id);
      for (const [port, src] of Object.entries(g.nodes[id].in || {})) {
        const dot = src.lastIndexOf('.');
        const from = this.nodeById(src.slice(0, dot));
        if (!from) continue;
        const outSlot = from.outputs.findIndex((o) => o.name === src.slice(dot + 1));
        const inSlot = dst.inputs.findIndex((x) => x.name === port);
        if (outSlot >= 0 && inSlot >= 0) from.connect(outSlot, dst, inSlot);
      }
    }
    for (const [flat, st] of this.lastStatus) this.showStatus(flat, st.status, st.ms);
    this.graph.onSumiChange = quiet;
    this.showPath();
    this.canvas.setDirty(true, true);
  }

  // ---- opening instances ----
  // The flat-id prefix of the level shown: "" at the top, "face/mouth/" inside.
  prefix() { return this.levels.map((l) => `${l.id}/`).join(''); }

  // Shows the inside of instance `id` of the level shown: editable when the
  // graphs folder holds its file (saveLevel() writes it), read-only otherwise.
  // Runs still run the top graph.
  openInstance(id) {
    const node = this.nodeById(id);
    if (!node || node.sumiType !== 'subgraph') throw new Error(`no subgraph instance '${id}' here`);
    const subgraphs = this.levels.length ? this.levels.at(-1).subgraphs : this.subgraphs;
    const info = subgraphs[node.properties.file];
    if (!info?.graph) throw new Error(`cannot open '${id}': ${info?.error || `its file ${node.properties.file} is not loaded`}`);
    if (!this.top) this.top = this.toSumi();
    // `view`: where the level it was opened from was scrolled to, for the way back.
    const editable = !!this.onSaveFile && (this.otherFiles || []).some((g) => g.file === node.properties.file);
    // What this instance sets its file's variables to (its parameters' widgets, defaults included).
    const vars = Object.fromEntries((node.widgets || []).map((w) => [w.sumiParam.name, w.sumiBound ?? widgetValue(w)]));
    this.levels.push({ id, file: node.properties.file, graph: info.graph, subgraphs: info.subgraphs || {}, view: this.getView(),
      meta: metaOf(info.graph), editable, dirty: false, vars });
    this.setView({ offset: [0, 40], scale: 1 });  // below the path bar
    this.render(info.graph, info.subgraphs || {}, !editable, vars);
    this.onLevel?.();
  }

  // Back `count` levels (all the way to the top graph by default).
  closeInstance(count = this.levels.length) {
    if (!this.levels.length) return;
    const dirty = this.levels.slice(Math.max(0, this.levels.length - count)).filter((l) => l.dirty);
    if (dirty.length && !window.confirm(`Discard the unsaved changes to ${dirty.map((l) => l.file).join(', ')}?`)) return;
    const closed = this.levels.splice(Math.max(0, this.levels.length - count));
    this.setView(closed[0].view);
    if (this.levels.length) {
      const l = this.levels.at(-1);
      this.render(l.graph, l.subgraphs, !l.editable, l.vars);
    } else {
      const top = this.top;
      this.top = null;
      this.render(top, this.subgraphs, false);
    }
    this.onLevel?.();
  }

  markDirty() {
    const l = this.levels.at(-1);
    if (!l.editable || l.dirty) return;
    l.dirty = true;
    this.showPath();
  }

  // Writes the opened instance's file (onSaveFile: the server's PUT) from the canvas; the
  // top graph's subgraph information, fresh from the server, then replaces what the levels show.
  async saveLevel() {
    const l = this.levels.at(-1);
    if (!l?.editable) return;
    const json = this.canvasToSumi(l.meta);
    const subgraphs = await this.onSaveFile(l.file, json);
    l.graph = json;
    l.dirty = false;
    if (subgraphs) this.refreshSubgraphs(subgraphs);
    this.showPath();
  }

  // New subgraph information for the top graph: each opened level takes its file's from it.
  refreshSubgraphs(subgraphs) {
    this.subgraphs = { ...this.subgraphs, ...subgraphs };
    let at = this.subgraphs;
    for (const l of this.levels) {
      const info = at[l.file];
      if (!info?.graph) break;
      if (!l.dirty) l.graph = info.graph;
      l.subgraphs = info.subgraphs || {};
      at = l.subgraphs;
    }
  }

  getView() { return { offset: [...this.canvas.ds.offset], scale: this.canvas.ds.scale }; }
  setView(v) {
    this.canvas.ds.offset = [...v.offset];
    this.canvas.ds.scale = v.scale;
  }

  // The path bar: "deepfacedrawing › mouth (part_chain.sumi.json)", each part a way back.
  showPath() {
    if (!this.pathEl) return;
    this.pathEl.innerHTML = '';
    this.pathEl.hidden = !this.levels.length;
    if (!this.levels.length) return;
    const link = (text, back) => {
      const b = document.createElement('button');
      b.textContent = text;
      b.onclick = () => this.closeInstance(back);
      return b;
    };
    this.pathEl.append(link(this.meta.name || 'graph', this.levels.length));
    this.levels.forEach((l, i) => {
      const sep = document.createElement('span');
      sep.textContent = ' › ';
      const here = i === this.levels.length - 1;
      this.pathEl.append(sep, here ? Object.assign(document.createElement('span'), { className: 'here', textContent: `${l.id} (${l.file})` })
        : link(`${l.id} (${l.file})`, this.levels.length - 1 - i));
    });
    const level = this.levels.at(-1);
    const file = level.file;
    const note = document.createElement('span');
    note.className = 'note';
    if (level.editable) {
      // Edits change the file, so every instance of it; they reach the runs once saved.
      note.textContent = level.dirty ? ` unsaved changes to ${file} (every instance of it)` : ` editing ${file}: every instance of it`;
      const save = document.createElement('button');
      save.id = 'graph-path-save';
      save.textContent = `save ${file}`;
      save.disabled = !level.dirty;
      save.onclick = () => this.saveLevel().catch((err) => this.onError?.(`cannot save ${file}: ${err.message}`));
      this.pathEl.append(note, save);
    } else {
      note.textContent = ` read-only: ${file} is not in the graphs folder`;
      this.pathEl.append(note);
    }
    // The file itself as the graph edited (its variables and interface too), when the graphs folder holds it.
    const edit = document.createElement('button');
    edit.id = 'graph-path-edit';
    edit.textContent = `open ${file}`;
    edit.disabled = !this.onEditFile || !(this.otherFiles || []).some((g) => g.file === file);
    edit.title = edit.disabled ? `${file} is not in the graphs folder` : `open ${file} (every instance of it) for editing`;
    edit.onclick = () => this.onEditFile(file);
    this.pathEl.append(edit);
  }

  // The top graph as a *.sumi.json object (what runs, also while an instance is open).
  toSumi() { return this.top || this.canvasToSumi(this.meta); }

  // The canvas as a *.sumi.json object with `meta` (name, doc, outputs, variables, interface).
  canvasToSumi(meta) {
    const nodes = {}, layout = {};
    let instances = false;
    const sorted = [...this.graph._nodes].sort((a, b) => a.properties.sumi_id.localeCompare(b.properties.sumi_id));
    for (const node of sorted) {
      const id = node.properties.sumi_id;
      const entry = { type: node.sumiType };
      const inputs = {};
      (node.inputs || []).forEach((inp) => {
        if (inp.link == null) return;
        const link = this.graph.getLink(inp.link);
        if (!link) return;
        const from = this.graph.getNodeById(link.origin_id);
        if (from) inputs[inp.name] = `${from.properties.sumi_id}.${from.outputs[link.origin_slot].name}`;
      });
      if (Object.keys(inputs).length) entry.in = inputs;
      const params = {};
      if (node.sumiType === 'subgraph') {
        instances = true;
        params.file = node.properties.file;
        Object.assign(params, node.sumiExtra);
      }
      const explicit = this.explicitParams.get(id) || new Set();
      for (const w of node.widgets || []) {
        if (w.sumiBound !== undefined) { params[w.sumiParam.name] = w.sumiBound; continue; }
        const v = widgetValue(w);
        if (explicit.has(w.sumiParam.name) || JSON.stringify(v) !== JSON.stringify(w.sumiParam.default)) params[w.sumiParam.name] = v;
      }
      if (Object.keys(params).length) entry.params = params;
      nodes[id] = entry;
      layout[id] = [Math.round(node.pos[0]), Math.round(node.pos[1])];
    }
    const outputs = {};
    for (const [name, ep] of Object.entries(meta.outputs)) if (nodes[ep.slice(0, ep.lastIndexOf('.'))]) outputs[name] = ep;
    // Version 2 for variables, an interface or instances (docs/graph_files.md).
    const v2 = instances || meta.variables || meta.interface;
    const g = { format: 'sumi.graph', version: v2 ? 2 : 1, name: meta.name };
    if (meta.doc) g.doc = meta.doc;
    if (meta.variables) g.variables = meta.variables;
    if (meta.interface) g.interface = meta.interface;
    g.nodes = nodes;
    g.outputs = outputs;
    g.layout = layout;
    return g;
  }

  // Parameters the catalogue marks "live" (a projection's blend, a shadow's
  // opacity, ...), bounded numbers, for sliders: [{id, node, widget, param}].
  // An instance's parameter is live when the inner parameter it sets is.
  sliderParams() {
    const out = [];
    if (this.top) return out;
    for (const node of this.graph._nodes) {
      for (const w of node.widgets || []) {
        const p = w.sumiParam;
        if (!p.live || ptype(p) !== 'Float' || p.min === undefined || p.max === undefined || w.sumiBound !== undefined) continue;
        out.push({ id: `${node.properties.sumi_id}.${p.name}`, node, widget: w, param: p });
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  // A node's run status by its flat id ("mouth/project"): on the node at the
  // level shown, or summed up on the instance that holds it.
  setStatus(id, status, ms) {
    this.lastStatus.set(id, { status, ms });
    this.showStatus(id, status, ms);
  }

  showStatus(id, status, ms) {
    const prefix = this.prefix();
    if (!id.startsWith(prefix)) return;
    const rest = id.slice(prefix.length);
    const slash = rest.indexOf('/');
    const node = this.nodeById(slash < 0 ? rest : rest.slice(0, slash));
    if (!node) return;
    if (slash < 0) node.sumiStatus = { status, ms };
    else {
      node.sumiInner = node.sumiInner || {};
      node.sumiInner[rest.slice(slash + 1)] = { status, ms };
      node.sumiStatus = instanceStatus(node.sumiInner);
    }
    node.boxcolor = STATUS_COLOURS[node.sumiStatus.status];
    this.canvas.setDirty(true, false);
  }

  resize() {
    const wrap = this.canvasEl.parentElement;
    this.canvas.resize(wrap.clientWidth, wrap.clientHeight);
    this.canvas.setDirty(true, true);
  }
}
