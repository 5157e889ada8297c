// Browser test of the editor: starts `sumi serve` on a free loopback port
// over a copy of the graphs folder, drives Debian's Chromium with
// playwright-core, opens the default graph (its face parts are instances of
// the part_chain subgraph: one node each, opened by a double click to show
// their inside), draws a face with mouse strokes, waits for the preview,
// adds a colour hint, undoes/redoes, saves the graph and reloads it, opens
// the graph view, adds a subgraph instance from the palette and connects two
// nodes by dragging, follows the part sliders
// (shadow guidance) and colour hints (Sketch2Anime), picks a colour
// reference image and switches detail / rough guidance (AniFaceDrawing), and
// recovers when the server evicts its session (410 Gone). Writes screenshots and
// reports (does not assert) the median stroke-to-preview latency.
//
//   node tests/editor.browser.mjs --sumi build/cli/sumi [--screenshots docs/images]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const sumi = arg('--sumi', path.join(repo, 'build/cli/sumi'));
const shots = arg('--screenshots', '');
const chromiumPath = arg('--chromium', '/usr/bin/chromium');
const dist = path.join(repo, 'editor/web/dist');

// Exit code 77 = skipped (CTest SKIP_RETURN_CODE).
if (!fs.existsSync(chromiumPath)) { console.log(`SKIP: ${chromiumPath} not found (install Debian's chromium: scripts/setup.sh)`); process.exit(77); }
if (!fs.existsSync(path.join(dist, 'index.html'))) { console.error(`FAIL: the front end is not built (${dist})`); process.exit(1); }
let chromium;
try { ({ chromium } = await import('playwright-core')); } catch {
  console.log('SKIP: playwright-core is not installed (npm ci in editor/web: scripts/setup.sh)');
  process.exit(77);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sumi-browser-'));
const graphs = path.join(tmp, 'graphs');
fs.mkdirSync(graphs);
for (const f of fs.readdirSync(path.join(repo, 'graphs'))) {
  if (!f.endsWith('.sumi.json')) continue;
  const g = JSON.parse(fs.readFileSync(path.join(repo, 'graphs', f), 'utf8'));
  // Relative file parameters (AniFaceDrawing's reference image) are relative to the graph's own folder.
  for (const n of Object.values(g.nodes)) {
    const p = n.params?.path;
    if (n.type === 'io.load_image' && typeof p === 'string' && !path.isAbsolute(p)) n.params.path = path.resolve(repo, 'graphs', p);
  }
  fs.writeFileSync(path.join(graphs, f), JSON.stringify(g, null, 2));
}
if (!fs.existsSync(path.join(graphs, 'anifacedrawing.sumi.json'))) { console.error('FAIL: graphs/anifacedrawing.sumi.json is missing'); process.exit(1); }

const server = spawn(sumi, ['serve', '--port', '0', '--graphs', graphs, '--static', dist, '--outputs', path.join(tmp, 'outputs'),
  '--max-sessions', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//); if (m) resolve(m[0]); });
  server.on('exit', (code) => reject(new Error(`sumi serve exited with ${code}`)));
  setTimeout(() => reject(new Error('sumi serve did not start')), 20000);
});

let context;
let failed = false;
const pinned = { from: 0, to: 0 };  // the latencies measured with the face pinned
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failed = true; };
try {
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-proxy-server'],
    viewport: { width: 1400, height: 820 },
  });
  const page = context.pages()[0] || await context.newPage();
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  page.on('pageerror', (e) => { console.log(`page error: ${e.message}`); failed = true; });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  await page.waitForSelector('#outputs figure canvas[data-png]', { timeout: 20000 });
  check(true, 'editor loaded with the default graph');
  // Links and slots are coloured per value kind, as the catalogue gives the kinds (a plugin's kinds too).
  const kindColours = await page.evaluate(async () => {
    const { kinds } = await (await fetch('/api/nodes')).json();
    const gv = window.sumiEditor.graphView;
    return kinds.map((k) => [k.name, k.colour, gv.canvas.default_connection_color_byType[k.name]]);
  });
  check(kindColours.length >= 11 && kindColours.every(([, want, got]) => want && got === want),
    `slots coloured per value kind from the catalogue (${kindColours.slice(0, 3).map((k) => k.join(' ')).join(', ')}, ...)`);

  // The default graph's parts are subgraph instances: one node each, with the
  // file's interface as ports and its parameters as widgets; the run reports their inner nodes.
  const mouth = await page.evaluate(() => {
    const n = window.sumiEditor.graphView.nodeById('mouth');
    return n && { type: n.sumiType, file: n.properties.file, inputs: n.inputs.map((x) => x.name), outputs: n.outputs.map((x) => x.name),
      widgets: n.widgets.map((w) => w.name), part: n.widgets.find((w) => w.name === 'part')?.value };
  });
  check(mouth?.type === 'subgraph' && mouth.file === 'part_chain.sumi.json' && mouth.inputs.join() === 'crop' &&
    ['features', 'image'].every((o) => mouth.outputs.includes(o)) && mouth.widgets.includes('blend') && mouth.part === 'mouth',
    `the mouth is one instance node of part_chain.sumi.json (inputs ${mouth?.inputs}, outputs ${mouth?.outputs}, params ${mouth?.widgets})`);
  // Its instances come back from the canvas as they are in the file (a save changes nothing but the layout).
  const roundTrip = await page.evaluate(async () => {
    const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
    const file = (await (await fetch('/api/graphs/deepfacedrawing.sumi.json')).json()).graph;
    const back = window.sumiEditor.graphView.toSumi();
    return { same: JSON.stringify(canon(back.nodes)) === JSON.stringify(canon(file.nodes)) && back.version === file.version,
      mouth: JSON.stringify(back.nodes.mouth) };
  });
  check(roundTrip.same, `the graph view gives back the file's nodes and version (mouth: ${roundTrip.mouth})`);
  await page.waitForFunction(() => document.getElementById('status').className.includes('ok'), null, { timeout: 30000 });
  const firstRun = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#node-table tr')].slice(1)
    .map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])));
  check(['mouth/encode', 'mouth/project', 'mouth/features', 'left_eye/decode'].every((id) => id in firstRun) && !('project_mouth' in firstRun),
    `the default graph ran with its instances expanded (${Object.keys(firstRun).length} nodes, e.g. mouth/project ${firstRun['mouth/project']})`);
  // Opening an instance (a double click on it in the graph view) shows its inner graph with the inner
  // nodes' status from the last run, editable (the graphs folder holds its file); the path bar leads back.
  await page.click('#tab-graph');
  await page.waitForTimeout(300);
  const title = await page.evaluate(() => {
    const gv = window.sumiEditor.graphView;
    const n = gv.nodeById('mouth');
    gv.canvas.ds.offset = [-n.pos[0] + 150, -n.pos[1] + 150];  // bring it into view
    gv.canvas.ds.scale = 1;
    gv.canvas.setDirty(true, true);
    const p = gv.canvas.ds.convertOffsetToCanvas([n.pos[0] + 30, n.pos[1] - 12]);
    const r = gv.canvasEl.getBoundingClientRect();
    const k = r.width / gv.canvasEl.width;
    return [r.left + p[0] * k, r.top + p[1] * k];
  }).catch(() => null);
  await page.waitForTimeout(200);
  if (title) await page.mouse.dblclick(...title);
  if (!(await page.evaluate(() => window.sumiEditor.graphView.levels.length))) {
    console.log('note: the double click did not reach the node title (off screen?); opening it through the view');
    await page.evaluate(() => window.sumiEditor.graphView.openInstance('mouth'));
  }
  const inside = await page.evaluate(() => {
    const gv = window.sumiEditor.graphView;
    return { ids: gv.graph._nodes.map((n) => n.properties.sumi_id).sort(), readOnly: gv.canvas.read_only,
      path: document.getElementById('graph-path').textContent, hidden: document.getElementById('graph-path').hidden,
      project: gv.nodeById('project')?.sumiStatus?.status, part: gv.nodeById('project')?.widgets.find((w) => w.name === 'part')?.label,
      shown: gv.nodeById('project')?.widgets.find((w) => w.name === 'part')?.value };
  });
  check(inside.ids.join() === 'decode,encode,features,project' && !inside.readOnly && !inside.hidden &&
    inside.path.includes('mouth (part_chain.sumi.json)') && inside.path.includes('editing part_chain.sumi.json') &&
    ['computed', 'cached'].includes(inside.project) && inside.part === 'part = $part' && inside.shown === 'mouth',
    `opening the mouth instance shows its inside (${inside.ids}; path "${inside.path}"; project ${inside.project})`);
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_subgraph.png') });
  // Editing inside: a parameter of the inner projection, saved into part_chain.sumi.json, re-runs every
  // part's projection (all five instances use the file) and nothing upstream of them.
  const runsBeforeSave = await page.evaluate(() => window.sumiEditor.runs);
  const dirty = await page.evaluate(() => {
    const w = window.sumiEditor.graphView.nodeById('project').widgets.find((x) => x.name === 'regularisation');
    w.value = 0.01;
    w.callback(0.01);
    return !document.getElementById('graph-path-save').disabled && window.sumiEditor.runs;
  });
  check(dirty !== false, 'an edit inside the instance offers to save part_chain.sumi.json');
  await page.click('#graph-path-save');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, runsBeforeSave, { timeout: 30000 });
  const savedChain = JSON.parse(fs.readFileSync(path.join(graphs, 'part_chain.sumi.json'), 'utf8'));
  const afterSave = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#node-table tr')].slice(1)
    .map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])));
  check(savedChain.nodes.project.params.regularisation === 0.01 && savedChain.nodes.project.params.part === '$part' &&
    savedChain.variables.blend.value === 1 && savedChain.interface.inputs.crop.to[0] === 'encode.image' &&
    afterSave['left_eye/project'] === 'computed' && afterSave['mouth/project'] === 'computed' && afterSave['left_eye/encode'] === 'cached',
    `the saved edit is in the file and re-ran every instance's projection (left_eye/project ${afterSave['left_eye/project']}, left_eye/encode ${afterSave['left_eye/encode']})`);
  await page.click('#graph-path button');
  const back = await page.evaluate(() => ({ levels: window.sumiEditor.graphView.levels.length, mouth: !!window.sumiEditor.graphView.nodeById('mouth'),
    readOnly: window.sumiEditor.graphView.canvas.read_only, status: window.sumiEditor.graphView.nodeById('mouth').sumiStatus?.status }));
  check(back.levels === 0 && back.mouth && !back.readOnly && ['computed', 'cached'].includes(back.status),
    `the path bar leads back to the top graph (instance status ${back.status})`);
  // "open part_chain.sumi.json" in the path bar opens the subgraph file itself as the graph edited, its
  // variables and interface kept.
  await page.evaluate(() => window.sumiEditor.graphView.openInstance('nose'));
  const noseShown = await page.evaluate(() => window.sumiEditor.graphView.nodeById('encode').widgets.find((w) => w.name === 'part').value);
  check(noseShown === 'nose', `inside the nose instance the widgets bound to $part show its value (${noseShown})`);
  await page.click('#graph-path-edit');
  await page.waitForFunction(() => window.sumiEditor.graphView.meta.name === 'part_chain');
  const file = await page.evaluate(() => {
    const gv = window.sumiEditor.graphView;
    const g = gv.toSumi();
    return { levels: gv.levels.length, readOnly: gv.canvas.read_only, version: g.version, part: g.nodes.project?.params?.part,
      iface: g.interface?.inputs?.crop?.to?.[0], blend: g.variables?.blend?.value, select: document.getElementById('graph-select').value };
  });
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('a subgraph file: not run'));
  check(file.levels === 0 && !file.readOnly && file.version === 2 && file.part === '$part' && file.iface === 'encode.image' &&
    file.blend === 1 && file.select === 'part_chain.sumi.json',
    `"open part_chain.sumi.json" opened the file for editing, its variables and interface kept (${JSON.stringify(file)})`);
  await page.selectOption('#graph-select', 'deepfacedrawing.sumi.json');
  await page.waitForFunction(() => window.sumiEditor.graphView.nodeById('mouth')?.sumiType === 'subgraph');
  await page.waitForFunction(() => document.getElementById('status').className.includes('ok'), null, { timeout: 30000 });
  await page.click('#tab-draw');

  const box = await page.locator('#paper').boundingBox();
  const runs = () => page.evaluate(() => window.sumiEditor.latencies.length);
  const nodeStatus = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#node-table tr')].slice(1)
    .map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])));
  const imageBytes = (name) => page.evaluate((n) => fetch(document.querySelector(`figure[data-name="${n}"] canvas`).dataset.png)
    .then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b).join(',')), name);
  async function stroke(points) {
    const before = await runs();
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 2 });
    await page.mouse.up();
    await page.waitForFunction((n) => window.sumiEditor.latencies.length > n, before, { timeout: 15000 });
  }
  const ellipse = (cx, cy, rx, ry, n = 28, from = 0, to = 2 * Math.PI) =>
    Array.from({ length: n + 1 }, (_, i) => { const t = from + ((to - from) * i) / n; return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)]; });
  const face = [
    ellipse(256, 270, 150, 190),                       // face
    ellipse(185, 215, 32, 14),                         // left eye
    ellipse(327, 215, 32, 14),                         // right eye
    [[256, 240], [246, 300], [262, 305]],              // nose
    ellipse(256, 350, 45, 16, 16, 0.1, Math.PI - 0.1), // mouth
    ellipse(185, 185, 38, 10, 10, Math.PI + 0.3, 2 * Math.PI - 0.3), // brows
    ellipse(327, 185, 38, 10, 10, Math.PI + 0.3, 2 * Math.PI - 0.3),
    ellipse(256, 150, 170, 110, 24, Math.PI, 2 * Math.PI),           // hair line
  ];
  // Unpinned, each run sends face.locate its last frame as `previous`; the node keeps it while a stroke
  // moves the face less than its `hold` (reported, not asserted: it depends on the shipped locator).
  const frameNow = () => page.evaluate(() => JSON.stringify(Object.values(window.sumiEditor.frames)[0]?.matrix ?? null));
  const faceRuns = [];
  for (const s of face) {
    const frameBefore = await frameNow();
    await stroke(s);
    faceRuns.push({ kept: (await frameNow()) === frameBefore, status: await nodeStatus() });
  }
  check((await runs()) >= face.length, `preview updated after each of ${face.length} strokes`);
  const keptAfterOutline = faceRuns.slice(1).filter((r) => r.kept);
  console.log(`unpinned face strokes after the outline that kept the previous frame: ${keptAfterOutline.length} of ${face.length - 1}` +
    ` (left eye cached in ${keptAfterOutline.filter((r) => r.status['left_eye/encode'] === 'cached').length} of them)`);
  const srcBefore = await page.getAttribute('#outputs figure canvas', 'data-png');
  // The preview canvases are filled from raw pixels: they equal the outputs' PNGs, decoded by the browser.
  const canvasVsPng = await page.evaluate(async () => {
    const out = {};
    for (const c of document.querySelectorAll('#outputs figure canvas')) {
      const bmp = await createImageBitmap(await (await fetch(c.dataset.png)).blob(), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
      const ref = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
      ref.drawImage(bmp, 0, 0);
      const a = ref.getImageData(0, 0, bmp.width, bmp.height).data;
      const b = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let differing = a.length === b.length ? 0 : -1, ink = 0;
      for (let i = 0; differing >= 0 && i < a.length; i++) { if (a[i] !== b[i]) differing++; if (i % 4 === 0 && b[i] < 128) ink++; }
      out[c.closest('figure').dataset.name] = { size: `${c.width}x${c.height}`, differing, ink };
    }
    return out;
  });
  check(['portrait', 'sketch'].every((n) => canvasVsPng[n]?.differing === 0 && canvasVsPng[n].ink > 0) &&
    Object.values(canvasVsPng).every((v) => v.differing === 0),
    `the preview canvases hold the outputs' pixels, equal to their PNGs (${JSON.stringify(canvasVsPng)})`);

  await page.click('#tool-hint');
  await stroke([[120, 120], [160, 100], [200, 110], [240, 100]]);
  check((await page.evaluate(() => window.sumiEditor.drawing.strokes.at(-1).kind)) === 'hint', 'hint stroke recorded');
  await page.click('#tool-pen');
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_draw.png') });

  // A parameter slider (sketch.width_scale) re-runs what it changes and the preview follows.
  const slider = page.locator('input[data-param="sketch.width_scale"]');
  if (await slider.count()) {
    const runsBefore = await page.evaluate(() => window.sumiEditor.runs);
    const pngBefore = await page.evaluate(() => fetch(document.querySelector('figure[data-name="sketch"] canvas').dataset.png).then((r) => r.arrayBuffer()).then((b) => b.byteLength));
    await slider.fill('2.5');
    await page.waitForFunction((n) => window.sumiEditor.runs > n, runsBefore);
    const sketchStatus = (await nodeStatus()).sketch;
    const pngAfter = await page.evaluate(() => fetch(document.querySelector('figure[data-name="sketch"] canvas').dataset.png).then((r) => r.arrayBuffer()).then((b) => b.byteLength));
    check(sketchStatus === 'computed' && pngAfter !== pngBefore, `slider sketch.width_scale re-ran the sketch (${sketchStatus}, ${pngBefore} -> ${pngAfter} bytes)`);
    await slider.fill('1');
    await page.waitForFunction((n) => window.sumiEditor.runs > n + 1, runsBefore);
  } else check(false, 'slider for sketch.width_scale shown');

  // Undo and redo re-run too.
  let before = await page.evaluate(() => window.sumiEditor.runs);
  await page.click('#undo');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before);
  check((await page.evaluate(() => window.sumiEditor.drawing.strokes.length)) === face.length, 'undo removed the hint');
  before = await page.evaluate(() => window.sumiEditor.runs);
  await page.click('#redo');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before);
  check((await page.evaluate(() => window.sumiEditor.drawing.strokes.length)) === face.length + 1, 'redo restored it');
  check(srcBefore !== null, 'output image shown');

  // Strokes files: save (a download) and load it back.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#strokes-save')]);
  const savedStrokes = path.join(tmp, 'drawing.strokes.json');
  await download.saveAs(savedStrokes);
  const doc = JSON.parse(fs.readFileSync(savedStrokes, 'utf8'));
  check(doc.format === 'sumi.strokes' && doc.strokes.length === face.length + 1, `strokes file saved (${doc.strokes.length} strokes)`);
  await page.click('#clear');
  await page.waitForFunction(() => window.sumiEditor.drawing.strokes.length === 0);
  before = await page.evaluate(() => window.sumiEditor.runs);
  await page.setInputFiles('#strokes-load', savedStrokes);
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before);
  check((await page.evaluate(() => window.sumiEditor.drawing.strokes.length)) === doc.strokes.length, 'strokes file loaded back and re-run');

  // Pin face: face.locate's last answer goes back in place of its output, so strokes at the mouth
  // neither move the face nor re-run the eyes and the nose.
  check(await page.isVisible('#face-pin'), 'a graph with face.locate offers "Pin face"');
  // (The loaded drawing's run may still be on its way: pin once face.locate has answered for it.)
  await page.waitForFunction(() => Object.keys(window.sumiEditor.frames).length > 0);
  before = await runs();
  await page.check('#face-pin');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before);
  pinned.from = await page.evaluate(() => window.sumiEditor.latencies.length);
  const pinnedRuns = [];
  for (const s of [[[236, 352], [256, 360], [276, 352]], [[240, 344], [272, 344]], [[226, 348], [232, 356]]]) {
    await stroke(s);
    pinnedRuns.push(await nodeStatus());
  }
  pinned.to = await page.evaluate(() => window.sumiEditor.latencies.length);
  // (The part windows overlap: a mouth stroke may reach the nose's or the right eye's, never the left eye's.)
  const kept = (st) => st.locate === 'fed' && st['left_eye/encode'] === 'cached' && st['mouth/encode'] === 'computed';
  check(pinnedRuns.every(kept),
    `with the face pinned, mouth strokes re-run the mouth and not the left eye (${pinnedRuns.map((st) => ['locate', 'left_eye/encode', 'right_eye/encode', 'nose/encode', 'mouth/encode'].map((id) => `${id} ${st[id]}`).join(', ')).join('; ')})`);
  await page.uncheck('#face-pin');
  // (a run that was sent before unpinning may still answer first)
  const located = await page.waitForFunction(() => window.sumiEditor.lastRun?.nodes.find((n) => n.type === 'face.locate')?.status === 'computed',
    null, { timeout: 15000 }).then(() => true, () => false);
  check(located, 'unpinned, face.locate answers again');

  // Graph view (on the small sketch_parts graph): connect two nodes by dragging from an output slot to an input slot.
  await page.selectOption('#graph-select', 'sketch_parts.sumi.json');
  await page.waitForFunction(() => !!window.sumiEditor.graphView.nodeById('split') && !window.sumiEditor.graphView.nodeById('portrait'));
  await page.click('#tab-graph');
  await page.waitForTimeout(300);
  // The palette lists the subgraph files; one adds an instance with the file's ports and parameters
  // (the projection's blend gets a slider, as the inner parameter it sets is live).
  check((await page.locator('.palette-item[data-file="part_chain.sumi.json"]').count()) === 1, 'the palette lists part_chain.sumi.json');
  await page.click('.palette-item[data-file="part_chain.sumi.json"]');
  await page.waitForFunction(() => !!window.sumiEditor.graphView.nodeById('part_chain'));
  const added = await page.evaluate(() => {
    const gv = window.sumiEditor.graphView;
    const n = gv.nodeById('part_chain');
    const part = n.widgets.find((w) => w.name === 'part');
    gv.nodeById('split').connect(gv.nodeById('split').outputs.findIndex((o) => o.name === 'nose'), n, 0);
    const g = gv.toSumi();
    return { inputs: n.inputs.map((x) => x.name), choices: part?.options?.values, node: g.nodes.part_chain, version: g.version };
  });
  check(added.inputs.join() === 'crop' && (added.choices || []).includes('left_eye') && added.version === 2 &&
    added.node.type === 'subgraph' && added.node.params.file === 'part_chain.sumi.json' && added.node.in.crop === 'split.nose',
    `a palette subgraph became an instance node (${JSON.stringify(added.node)}, version ${added.version})`);
  await page.waitForSelector('input[data-param="part_chain.blend"]', { state: 'attached', timeout: 5000 });
  check(true, 'the instance\'s blend has a slider');
  await page.evaluate(() => { const gv = window.sumiEditor.graphView; gv.graph.remove(gv.nodeById('part_chain')); gv.graph.onSumiChange(); });
  await page.click('.palette-item[data-type="image.invert"]');
  // Screen positions of an output slot and an input slot.
  const slots = (from, to) => page.evaluate(([f, t]) => {
    const gv = window.sumiEditor.graphView;
    const inv = gv.nodeById('invert');
    inv.pos = [500, 470];
    const ds = gv.canvas.ds;
    const a = ds.convertOffsetToCanvas(gv.nodeById(f).getConnectionPos(false, 0));
    const b = ds.convertOffsetToCanvas(gv.nodeById(t).getConnectionPos(true, 0));
    gv.canvas.setDirty(true, true);
    const r = gv.canvasEl.getBoundingClientRect();
    const k = r.width / gv.canvasEl.width;
    return { a: [r.left + a[0] * k, r.top + a[1] * k], b: [r.left + b[0] * k, r.top + b[1] * k] };
  }, [from, to]);
  async function dragLink(from, to) {
    const drag = await slots(from, to);
    await page.waitForTimeout(200);
    await page.mouse.move(...drag.a);
    await page.mouse.down();
    await page.mouse.move(drag.b[0], drag.b[1], { steps: 12 });
    await page.mouse.up();
  }
  // Strokes into an Image input: refused while dragging (kinds are checked).
  await dragLink('draw', 'invert');
  const refused = await page.evaluate(() => window.sumiEditor.graphView.toSumi().nodes.invert?.in?.image);
  check(refused === undefined, `a Strokes output cannot be linked to an Image input (got ${refused})`);
  await dragLink('sketch', 'invert');
  const linked = await page.evaluate(() => window.sumiEditor.graphView.toSumi().nodes.invert?.in?.image);
  check(linked === 'sketch.image', `dragged a link sketch.image -> invert.image (got ${linked})`);
  await page.waitForFunction(() => document.getElementById('status').className.includes('ok'));
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_graph.png') });

  // Make the new node a graph output: its preview appears.
  const outs = await page.inputValue('#graph-outputs');
  await page.fill('#graph-outputs', `${outs}, inverted=invert.image`);
  await page.press('#graph-outputs', 'Enter');
  await page.waitForSelector('figure[data-name="inverted"] canvas[data-png]', { state: 'attached', timeout: 10000 });
  check(true, 'new output previewed (inverted=invert.image)');

  // Save under a new name, reload it from the server, and check it came back.
  await page.fill('#graph-file', 'browser_test.sumi.json');
  await page.click('#graph-save');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('saved'));
  check(fs.existsSync(path.join(graphs, 'browser_test.sumi.json')), 'graph saved into the graphs folder');
  await page.selectOption('#graph-select', 'sketch_parts.sumi.json');
  await page.waitForFunction(() => !window.sumiEditor.graphView.nodeById('invert'));
  await page.selectOption('#graph-select', 'browser_test.sumi.json');
  await page.waitForFunction(() => !!window.sumiEditor.graphView.nodeById('invert'));
  const saved = JSON.parse(fs.readFileSync(path.join(graphs, 'browser_test.sumi.json'), 'utf8'));
  check(saved.nodes.invert?.in?.image === 'sketch.image' && saved.outputs.inverted === 'invert.image',
    'reloaded graph keeps the new node, link and output');

  // Shadow guidance with the shipped part models: the guidance is drawn faintly under
  // the strokes, and the mouth's fidelity slider (its projection blend) re-runs only
  // the mouth's branch, changing the guidance.
  await page.selectOption('#graph-select', 'shadow_guidance.sumi.json');
  await page.waitForFunction(() => window.sumiEditor.graphView.nodeById('mouth')?.sumiType === 'subgraph' && !window.sumiEditor.graphView.nodeById('portrait'));
  await page.click('#tab-draw');
  await page.waitForSelector('figure[data-name="guidance"] canvas[data-png]', { timeout: 30000 });
  await page.waitForFunction(() => !!window.sumiEditor.drawing.guidance, null, { timeout: 30000 });
  check(true, 'shadow guidance shown under the strokes');
  const blend = page.locator('input[data-param="mouth.blend"]');
  check((await blend.count()) === 1, 'a fidelity slider for the mouth (mouth.blend, the instance\'s parameter)');
  const guidanceBytes = () => page.evaluate(() => fetch(document.querySelector('figure[data-name="guidance"] canvas').dataset.png)
    .then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b).join(',')));
  const guidanceBefore = await guidanceBytes();
  const sketchSrc = () => page.getAttribute('figure[data-name="sketch"] canvas', 'data-png');
  const [sketchSrcBefore, unchangedBefore] = [await sketchSrc(), await page.evaluate(() => window.sumiEditor.unchangedOutputs)];
  before = await page.evaluate(() => window.sumiEditor.runs);
  await blend.fill('0');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before, { timeout: 30000 });
  const st = await nodeStatus();
  check(st['mouth/project'] === 'computed' && st['mouth/decode'] === 'computed' && st['mouth/encode'] === 'cached' &&
    st['left_eye/decode'] === 'cached' && st['left_eye/project'] === 'cached' && st.sketch === 'cached',
    `the mouth slider re-ran only the mouth branch (mouth/project ${st['mouth/project']}, mouth/encode ${st['mouth/encode']}, left_eye/decode ${st['left_eye/decode']})`);
  check((await guidanceBytes()) !== guidanceBefore, 'the guidance changed with the mouth slider');
  // Outputs whose content hash did not change are not fetched again (the sketch is the same).
  check(sketchSrcBefore !== null && (await sketchSrc()) === sketchSrcBefore &&
    (await page.evaluate(() => window.sumiEditor.unchangedOutputs)) > unchangedBefore,
    'the unchanged sketch was not fetched again');
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_guidance.png') });
  // Model parameters list the TorchScript files of the models folder (to swap one part's model).
  const decoders = await page.evaluate(() => {
    const w = window.sumiEditor.graphView.nodeById('mouth').widgets.find((x) => x.name === 'decoder');
    const v = w.options.values;
    return typeof v === 'function' ? v() : v;
  });
  check(decoders.includes('') && decoders.some((d) => d.endsWith('models/parts/mouth_decoder.pt')),
    `the decoder parameter offers the model files (${decoders.length} listed)`);

  // Sketch2Anime: the drawing's colour hints reach the generator; a new hint stroke re-runs
  // only the hints and the generator (the parts' feature maps come from the cache).
  await page.selectOption('#graph-select', 'sketch2anime.sumi.json');
  await page.waitForFunction(() => !!window.sumiEditor.graphView.nodeById('hints'));
  await page.click('#tab-draw');
  await page.waitForSelector('figure[data-name="portrait"] canvas[data-png]', { timeout: 30000 });
  await page.waitForFunction(() => window.sumiEditor.shownSeq === window.sumiEditor.runSeq, null, { timeout: 30000 });
  const portraitBefore = await imageBytes('portrait');
  await page.fill('#hint-color', '#2a6bd6');
  await page.dispatchEvent('#hint-color', 'input');
  await stroke([[150, 110], [200, 95], [260, 92], [320, 100], [360, 115]]);
  const s2a = await nodeStatus();
  check(s2a.hints === 'computed' && s2a.portrait === 'computed' && s2a['mouth/features'] === 'cached' && s2a.paste === 'cached',
    `a hint stroke re-ran only the hints and the generator (hints ${s2a.hints}, mouth/features ${s2a['mouth/features']})`);
  check((await imageBytes('portrait')) !== portraitBefore, 'the portrait changed with the hint');
  await page.click('#tool-pen');
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_hints.png') });

  // AniFaceDrawing: the graph with a 'reference' image node offers the server's reference
  // images; picking one re-runs the graph and recolours the portrait. It has two guidance
  // outputs (detail, rough): a choice box picks the one drawn under the strokes.
  await page.selectOption('#graph-select', 'anifacedrawing.sumi.json');
  await page.waitForSelector('#references:not([hidden]) button.reference', { timeout: 10000 });
  await stroke([[200, 330], [256, 350], [312, 330]]);
  await page.waitForSelector('figure[data-name="portrait"] canvas[data-png]', { timeout: 30000 });
  const afdBefore = await imageBytes('portrait');
  const refBefore = await imageBytes('reference');
  const nRefs = await page.locator('#references button.reference').count();
  before = await page.evaluate(() => window.sumiEditor.runs);
  await page.click('#references button.reference[data-name="face_00030.png"]');
  await page.waitForFunction((n) => window.sumiEditor.runs > n, before, { timeout: 30000 });
  const picked = await page.evaluate(() => window.sumiEditor.graphView.nodeById('reference').widgets.find((w) => w.name === 'path').value);
  check(nRefs >= 2 && picked.endsWith('face_00030.png') && (await imageBytes('reference')) !== refBefore &&
    (await imageBytes('portrait')) !== afdBefore,
    `picking a reference image re-ran the graph and changed the portrait (${nRefs} offered, path ${picked})`);
  const choices = await page.evaluate(() => [...document.querySelectorAll('#guidance-choice option')].map((o) => o.value));
  const guidanceSrc = () => page.evaluate(() => window.sumiEditor.drawing?.guidance?.dataset.png || '');
  const detailSrc = await guidanceSrc();
  await page.selectOption('#guidance-choice', 'rough_guidance');
  await page.waitForFunction((s) => (window.sumiEditor.drawing?.guidance?.dataset.png || '') !== s, detailSrc, { timeout: 10000 });
  check(!(await page.isHidden('#guidance-choice')) && choices.includes('guidance') && choices.includes('rough_guidance'),
    `AniFaceDrawing offers detail and rough guidance (${choices.join(', ')}), and the choice swaps the image under the strokes`);
  if (shots) await page.screenshot({ path: path.join(shots, 'editor_anifacedrawing.png') });
  await page.selectOption('#graph-select', 'sketch_parts.sumi.json');
  await page.waitForSelector('#references[hidden]', { state: 'attached', timeout: 10000 });
  await page.waitForSelector('#guidance-choice[hidden]', { state: 'attached', timeout: 10000 });
  check(true, 'no reference strip and no guidance choice on a graph without them');

  // The server ends idle sessions to make room (--max-sessions 2 here): two sessions
  // opened elsewhere evict this page's one; its next run gets 410 Gone, and the page
  // opens a new session and sends its graph again.
  const stale = await page.evaluate(() => window.sumiEditor.session);
  for (let i = 0; i < 2; i++) await fetch(`${url}api/sessions`, { method: 'POST' });
  const gone = await fetch(`${url}api/sessions/${stale}/outputs/sketch.png`);
  const goneBody = await gone.json().catch(() => ({}));
  check(gone.status === 410 && goneBody.evicted === true, `the page's session was evicted (${gone.status}: ${goneBody.error})`);
  await stroke([[230, 420], [256, 430], [282, 420]]);
  const renewed = await page.evaluate(() => ({ session: window.sumiEditor.session, renewals: window.sumiEditor.renewals }));
  const statusClass = await page.getAttribute('#status', 'class');
  check(renewed.session !== stale && renewed.renewals === 1 && statusClass.includes('ok'),
    `after its session was evicted the page opened a new one and re-ran (${renewed.renewals} renewal, status ${statusClass})`);

  check(external.length === 0, `no requests outside the editor (${external.slice(0, 3).join(', ')})`);
  // The strokes drawn with the face pinned are reported apart.
  const unpinned = (v) => v.filter((_, i) => i < pinned.from || i >= pinned.to);
  const all = await page.evaluate(() => {
    const e = window.sumiEditor;
    return { latencies: e.latencies, serverMs: e.serverMs, showMs: e.showMs, requestMs: e.requestMs, checksMs: e.checksMs };
  });
  const [lat, server, show, request, checks] = ['latencies', 'serverMs', 'showMs', 'requestMs', 'checksMs'].map((k) => unpinned(all[k]));
  const sorted = [...lat].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  const medianOf = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  console.log(`stroke-to-preview latency: median ${median.toFixed(0)} ms over ${lat.length} strokes (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)}); ` +
    `inside them the engine runs took a median of ${medianOf(server).toFixed(0)} ms, the server's parsing and checks ${medianOf(checks).toFixed(0)} ms, ` +
    `the rest of the request (HTTP, JSON, pixels) ${medianOf(request).toFixed(0)} ms, showing the images ${medianOf(show).toFixed(0)} ms`);
  console.log(`with the face pinned: stroke-to-preview median ${medianOf(all.latencies.slice(pinned.from, pinned.to)).toFixed(0)} ms over ${pinned.to - pinned.from} mouth strokes, ` +
    `the engine runs ${medianOf(all.serverMs.slice(pinned.from, pinned.to)).toFixed(0)} ms`);
} catch (err) {
  console.log(`FAIL ${err.stack || err}`);
  failed = true;
  const page = context?.pages()[0];
  if (page) {
    console.log(`status line: ${await page.textContent('#status').catch(() => '?')}`);
    if (shots) await page.screenshot({ path: path.join(shots, 'editor_failure.png') }).catch(() => {});
  }
} finally {
  await context?.close().catch(() => {});
  server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
