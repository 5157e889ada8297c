// The graph view: Sumi graphs on a litegraph canvas (@comfyorg/litegraph).
// Node types come from the catalogue (/api/nodes): ports become typed slots
// (links are type-checked as you drag: an Image input also takes a Mask, a
// Scalar input an Int), parameters become widgets with their ranges, defaults
// and docs as tooltips. Converts both ways between litegraph and the
// *.sumi.json format, keeping layout apart from semantics.
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
  const cb = () => node.graph?.onSumiChange?.();
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
  constructor(canvasEl, paletteEl, { onChange }) {
    this.canvasEl = canvasEl;
    this.paletteEl = paletteEl;
    this.graph = new LGraph();
    this.graph.onSumiChange = () => onChange?.();
    this.canvas = new LGraphCanvas(canvasEl, this.graph);
    this.canvas.show_info = false;  // no FPS/debug overlay
    this.descriptors = new Map();
    this.meta = { name: '', doc: '', outputs: {} };
    this.explicitParams = new Map();  // node id -> Set of params set in the file
  }

  registerTypes(catalogue) {
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
        onDrawForeground(ctx) {
          if (!this.sumiStatus) return;
          ctx.save();
          ctx.font = '12px sans-serif';
          ctx.fillStyle = STATUS_COLOURS[this.sumiStatus.status] || '#ccc';
          const ms = this.sumiStatus.ms ? ` ${this.sumiStatus.ms.toFixed(1)} ms` : '';
          ctx.fillText(`${this.sumiStatus.status}${ms}`, 4, -LiteGraph.NODE_TITLE_HEIGHT - 6);
          ctx.restore();
        }
      }
      SumiNode.title = d.id;
      SumiNode.desc = d.doc;
      LiteGraph.registerNodeType(d.id, SumiNode);
    }
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

  addNode(type, id, pos) {
    const node = LiteGraph.createNode(type);
    if (!node) throw new Error(`unknown node type ${type}`);
    const sid = id || this.uniqueId(type.split('.').pop());
    node.properties.sumi_id = sid;
    node.title = sid;
    const off = this.canvas.ds?.offset || [0, 0];
    node.pos = pos || [-off[0] + 60 + 20 * (this.graph._nodes.length % 8), -off[1] + 60 + 20 * (this.graph._nodes.length % 8)];
    this.graph.add(node);
    this.graph.onSumiChange?.();
    return node;
  }

  nodeById(id) { return this.graph._nodes.find((n) => n.properties.sumi_id === id); }

  // A *.sumi.json object onto the canvas.
  load(g) {
    const quiet = this.graph.onSumiChange;
    this.graph.onSumiChange = null;
    this.graph.clear();
    this.meta = { name: g.name || '', doc: g.doc || '', outputs: { ...(g.outputs || {}) } };
    this.explicitParams = new Map();
    const layout = g.layout || {};
    const ids = Object.keys(g.nodes || {});
    ids.forEach((id, i) => {
      const n = g.nodes[id];
      const node = this.addNode(n.type, id, layout[id] ? [...layout[id]] : [40 + 240 * i, 80]);
      const params = n.params || {};
      this.explicitParams.set(id, new Set(Object.keys(params)));
      for (const w of node.widgets || []) {
        if (!(w.sumiParam.name in params)) continue;
        const v = params[w.sumiParam.name];
        w.value = Array.isArray(v) ? JSON.stringify(v) : v;
      }
    });
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
    this.graph.onSumiChange = quiet;
    this.canvas.setDirty(true, true);
  }

  // The canvas back into a *.sumi.json object.
  toSumi() {
    const nodes = {}, layout = {};
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
      const explicit = this.explicitParams.get(id) || new Set();
      for (const w of node.widgets || []) {
        const v = widgetValue(w);
        if (explicit.has(w.sumiParam.name) || JSON.stringify(v) !== JSON.stringify(w.sumiParam.default)) params[w.sumiParam.name] = v;
      }
      if (Object.keys(params).length) entry.params = params;
      nodes[id] = entry;
      layout[id] = [Math.round(node.pos[0]), Math.round(node.pos[1])];
    }
    const outputs = {};
    for (const [name, ep] of Object.entries(this.meta.outputs)) if (nodes[ep.slice(0, ep.lastIndexOf('.'))]) outputs[name] = ep;
    const g = { format: 'sumi.graph', version: 1, name: this.meta.name };
    if (this.meta.doc) g.doc = this.meta.doc;
    g.nodes = nodes;
    g.outputs = outputs;
    g.layout = layout;
    return g;
  }

  // Parameters the catalogue marks "live" (a projection's blend, a shadow's
  // opacity, ...), bounded numbers, for sliders: [{id, node, widget, param}].
  sliderParams() {
    const out = [];
    for (const node of this.graph._nodes) {
      for (const w of node.widgets || []) {
        const p = w.sumiParam;
        if (!p.live || ptype(p) !== 'Float' || p.min === undefined || p.max === undefined) continue;
        out.push({ id: `${node.properties.sumi_id}.${p.name}`, node, widget: w, param: p });
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  setStatus(id, status, ms) {
    const node = this.nodeById(id);
    if (!node) return;
    node.sumiStatus = { status, ms };
    node.boxcolor = STATUS_COLOURS[status];
    this.canvas.setDirty(true, false);
  }

  resize() {
    const wrap = this.canvasEl.parentElement;
    this.canvas.resize(wrap.clientWidth, wrap.clientHeight);
    this.canvas.setDirty(true, true);
  }
}
