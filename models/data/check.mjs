#!/usr/bin/env node
// Self-check of the training-data generator against the committed fixture.
//
//   node models/data/check.mjs [--fixture DIR] [--keep]
//
// Without --fixture it checks both committed fixtures: fixture/ (adventurer,
// v1 output, must regenerate byte for byte) and fixture_styles/ (several
// styles with random framing, v2 output; see checkStyles below).
//
// For the v1 fixture it regenerates the faces into a temporary folder (with
// --verify-boxes --keep-svg) and checks that:
//   1. manifest.jsonl and dataset.json match the fixture exactly (determinism);
//   2. the PNG pixels match the fixture (exactly when rsvg-convert is the
//      version that made the fixture; otherwise the difference is reported);
//   3. every sketch is aligned with its colour image: a pixel that is full ink
//      in the sketch is pure black in the colour image;
//   4. the colour image equals a standalone rsvg-convert render of the face's
//      own SVG (sheet tiling changes no pixel);
//   5. every box equals the box re-measured from the face's own SVG with all
//      groups but one removed (done by generate.mjs --verify-boxes).
// Exit status 0 when all hold; one line per problem otherwise.

import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { fileURLToPath } from 'url';
import * as G from './generate.mjs';
import * as ST from './styles.mjs';
const decodePNG = G.decodePNG;

const HERE = path.dirname(fileURLToPath(import.meta.url));
let fixtures = [path.join(HERE, 'fixture'), path.join(HERE, 'fixture_styles')], keep = false;
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--fixture') fixtures = [argv[++k]];
  else if (argv[k] === '--keep') keep = true;
  else { process.stderr.write('usage: node models/data/check.mjs [--fixture DIR] [--keep]\n'); process.exit(2); }
}

const problems = [];
function problem(s) { problems.push(s); process.stderr.write('check: ' + s + '\n'); }
function readLines(f) { return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean); }
function render(svg, white) {
  const r = spawnSync('rsvg-convert', ['-f', 'png'].concat(white ? ['-b', 'white'] : []), { input: svg, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error('rsvg-convert failed: ' + String(r.stderr).trim().split('\n')[0]);
  return decodePNG(r.stdout);
}
function maxDiff(a, b, chans) {
  let m = 0;
  const n = a.width * a.height;
  for (let p = 0; p < n; p++) for (let k = 0; k < chans; k++) {
    const d = Math.abs(a.data[a.channels * p + k] - b.data[b.channels * p + k]);
    if (d > m) m = d;
  }
  return m;
}

function checkLegacy(fixture) {
  const ds = JSON.parse(fs.readFileSync(path.join(fixture, 'dataset.json'), 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sumi-data-check-'));
  const gen = spawnSync(process.execPath, [path.join(HERE, 'generate.mjs'), '--out', tmp, '--count', String(ds.count),
    '--size', String(ds.size), '--seed', String(ds.seed), '--verify-boxes', '--keep-svg'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (gen.status !== 0) {
    process.stderr.write(String(gen.stderr));
    problem('generate.mjs failed (exit ' + gen.status + ')');
  } else {
    // 1. manifest and dataset
    const a = readLines(path.join(fixture, 'manifest.jsonl'));
    const b = readLines(path.join(tmp, 'manifest.jsonl')).map(function (l) {
      const r = JSON.parse(l); delete r.files.svg; return JSON.stringify(r);
    });
    if (a.length !== b.length) problem('manifest has ' + b.length + ' lines, fixture ' + a.length);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) { problem('manifest line ' + (i + 1) + ' differs'); break; }
    const ds2 = JSON.parse(fs.readFileSync(path.join(tmp, 'dataset.json'), 'utf8'));
    const sameRsvg = ds2.rsvg_convert_version === ds.rsvg_convert_version;
    delete ds2.rsvg_convert_version;
    const ds1 = Object.assign({}, ds); delete ds1.rsvg_convert_version;
    if (JSON.stringify(ds1) !== JSON.stringify(ds2)) problem('dataset.json differs from the fixture');

    let maxFix = 0, misaligned = 0, maxStandalone = 0;
    const recs = readLines(path.join(tmp, 'manifest.jsonl')).map(JSON.parse);
    for (const r of recs) {
      const col = decodePNG(fs.readFileSync(path.join(tmp, r.files.color)));
      const sk = decodePNG(fs.readFileSync(path.join(tmp, r.files.sketch)));
      // 2. pixels vs fixture
      for (const which of ['color', 'sketch']) {
        const f = path.join(fixture, r.files[which]);
        if (!fs.existsSync(f)) { problem('fixture lacks ' + r.files[which]); continue; }
        const x = decodePNG(fs.readFileSync(f)), y = which === 'color' ? col : sk;
        if (x.data.length !== y.data.length) { problem(r.files[which] + ' has a different shape'); continue; }
        for (let p = 0; p < x.data.length; p++) { const d = Math.abs(x.data[p] - y.data[p]); if (d > maxFix) maxFix = d; }
      }
      // 3. alignment
      const n = r.size * r.size;
      for (let p = 0; p < n; p++) {
        if (sk.data[p] === 0 && (col.data[3 * p] | col.data[3 * p + 1] | col.data[3 * p + 2]) !== 0) misaligned++;
      }
      // 4. standalone render of the face's SVG
      const st = spawnSync('rsvg-convert', ['-w', String(r.size), '-h', String(r.size), '-b', 'white', path.join(tmp, r.files.svg)]);
      if (st.status !== 0) { problem('rsvg-convert failed on ' + r.files.svg); continue; }
      const img = decodePNG(st.stdout);
      for (let p = 0; p < n; p++) for (let k = 0; k < 3; k++) {
        const d = Math.abs(img.data[img.channels * p + k] - col.data[3 * p + k]);
        if (d > maxStandalone) maxStandalone = d;
      }
    }
    if (maxFix && sameRsvg) problem('pixels differ from the fixture (max |diff| ' + maxFix + ') with the same rsvg-convert');
    if (maxFix && !sameRsvg) process.stderr.write('check: note: rsvg-convert ' + ds2.rsvg_convert_version + ' differs from the fixture\'s ' +
      ds.rsvg_convert_version + '; max pixel difference ' + maxFix + '\n');
    if (misaligned) problem(misaligned + ' ink pixels of the sketches are not black in the colour images');
    if (maxStandalone) problem('sheet tiles differ from standalone renders (max |diff| ' + maxStandalone + ')');
    process.stderr.write('check: ' + recs.length + ' faces; fixture pixel diff ' + maxFix + '; misaligned ink pixels ' + misaligned +
      '; tile vs standalone diff ' + maxStandalone + '\n');
  }

  return tmp;
}

// ---------------------------------------------------------------------------
// Multi-style fixture (v2 output). Regenerates it (--verify-boxes --keep-svg)
// and checks, per face, independently of the generator's sheets and caches:
//   1. manifest.jsonl and dataset.json equal the fixture's; pixels equal;
//   2. face.svg carries exactly the recorded framing: its transform is
//      frame.matrix after the style's normalisation, and a standalone render
//      of it equals color.png;
//   3. the sketch rebuilt from face.svg (same geometry and transform) renders
//      to sketch.png, and its ink lies on dark or edge pixels of color.png
//      (per-style alignment rate, reported, at least 0.85: outlines between
//      two shapes of one colour, e.g. front and back hair, have no edge);
//   4. every box equals a re-measurement of the part cut from face.svg,
//      rendered on its own (framed and canonical);
//   5. framing is exact: points = frame.matrix applied to the centres of
//      boxes_canonical; a rectangle drawn at the canonical head box through
//      frame.matrix renders to the bounding box of its transformed corners
//      (within 1 px); the same framing without its rotation moves every
//      part's canonical box onto its rendered box (within 1 px); and every
//      framed box lies inside the transformed canonical box (within 1 px).
// ---------------------------------------------------------------------------
function checkStyles(fixture) {
  const ds = JSON.parse(fs.readFileSync(path.join(fixture, 'dataset.json'), 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sumi-data-check-styles-'));
  const gen = spawnSync(process.execPath, [path.join(HERE, 'generate.mjs'), '--out', tmp, '--count', String(ds.count),
    '--size', String(ds.size), '--seed', String(ds.seed), '--styles', ds.styles.join(','), '--framing', ds.framing,
    '--widths', ds.widths.join(','), '--heldout', ds.heldout_style, '--verify-boxes', '--keep-svg'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (gen.status !== 0) {
    process.stderr.write(String(gen.stderr));
    problem(fixture + ': generate.mjs failed (exit ' + gen.status + ')');
    return tmp;
  }
  const a = readLines(path.join(fixture, 'manifest.jsonl'));
  const b = readLines(path.join(tmp, 'manifest.jsonl')).map(function (l) { const r = JSON.parse(l); delete r.files.svg; return JSON.stringify(r); });
  if (a.length !== b.length) problem('styles: manifest has ' + b.length + ' lines, fixture ' + a.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) { problem('styles: manifest line ' + (i + 1) + ' differs'); break; }
  const ds2 = JSON.parse(fs.readFileSync(path.join(tmp, 'dataset.json'), 'utf8'));
  const sameRsvg = ds2.rsvg_convert_version === ds.rsvg_convert_version;
  const d1 = Object.assign({}, ds), d2 = Object.assign({}, ds2);
  delete d1.rsvg_convert_version; delete d2.rsvg_convert_version;
  if (JSON.stringify(d1) !== JSON.stringify(d2)) problem('styles: dataset.json differs from the fixture');

  const size = ds.size, thr = 64, mg = Math.round(size / 4), T = size + 2 * mg;
  const stats = { faces: 0, fixDiff: 0, standalone: 0, sketch: 0, boxes: 0, parts: 0, rect: 0, unrot: 0, outside: 0, points: 0 };
  const align = {};
  const recs = readLines(path.join(tmp, 'manifest.jsonl')).map(JSON.parse);
  for (const r of recs) {
    stats.faces++;
    const tag = r.id + ' (' + r.style + ')';
    const col = decodePNG(fs.readFileSync(path.join(tmp, r.files.color)));
    const sk = decodePNG(fs.readFileSync(path.join(tmp, r.files.sketch)));
    for (const which of ['color', 'sketch']) {
      const f = path.join(fixture, r.files[which]);
      if (!fs.existsSync(f)) { problem('styles: fixture lacks ' + r.files[which]); continue; }
      const x = decodePNG(fs.readFileSync(f)), y = which === 'color' ? col : sk;
      if (x.data.length !== y.data.length) { problem('styles: ' + r.files[which] + ' has a different shape'); continue; }
      stats.fixDiff = Math.max(stats.fixDiff, maxDiff(x, y, x.channels));
    }
    // 2. face.svg and its transform
    const svg = fs.readFileSync(path.join(tmp, r.files.svg), 'utf8');
    const mm = /<g transform="([^"]*)" fill="none" shape-rendering="auto">([\s\S]*)<\/g><\/svg>$/.exec(svg);
    if (!mm) { problem('styles: ' + tag + ': face.svg has no framing group'); continue; }
    const info = ds.style_info[r.style], def = ST.STYLE_DEFS[r.style];
    const nm = info.normalisation, N = [nm.scale, 0, nm.translate[0], 0, nm.scale, nm.translate[1]];
    const M = [r.frame.matrix[0][0], r.frame.matrix[0][1], r.frame.matrix[0][2], r.frame.matrix[1][0], r.frame.matrix[1][1], r.frame.matrix[1][2]];
    const A = G.compose(M, N);
    if (mm[1] !== G.svgMatrix(A)) problem('styles: ' + tag + ': face.svg transform ' + mm[1] + ' != frame.matrix after the normalisation ' + G.svgMatrix(A));
    const st = render(svg);
    stats.standalone = Math.max(stats.standalone, maxDiff(st, col, 3));
    // 3. sketch
    const toks = ST.annotate(ST.tokenize(mm[2]));
    const lw = G.sketchWidths(size, nm.scale, r.frame.scale, r.line_width);
    const skSvg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + size + '" height="' + size + '"><rect width="' + size + '" height="' + size +
      '" fill="#fff"/><g transform="' + G.svgMatrix(A) + '" fill="none" shape-rendering="auto">' + ST.sketchBody(toks, def.ink, lw[0], lw[1]) + '</g></svg>';
    const sk2 = render(skSvg);
    stats.sketch = Math.max(stats.sketch, maxDiff({ width: size, height: size, channels: sk2.channels, data: sk2.data }, { width: size, height: size, channels: 1, data: sk.data }, 1));
    const rad = 1 + Math.ceil((1 + r.line_width) * size / 256 / 2);
    let ink = 0, onEdge = 0;
    const C = 3, px = function (x, y, k) { return col.data[(y * size + x) * C + k]; };
    const edge = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      let e = Math.max(px(x, y, 0), px(x, y, 1), px(x, y, 2)) <= 96;
      for (let k = 0; k < 3 && !e; k++) {
        if (x + 1 < size && Math.abs(px(x, y, k) - px(x + 1, y, k)) > 16) e = true;
        if (y + 1 < size && Math.abs(px(x, y, k) - px(x, y + 1, k)) > 16) e = true;
      }
      edge[y * size + x] = e ? 1 : 0;
    }
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      if (sk.data[y * size + x] > 64) continue;
      ink++;
      let hit = false;
      for (let dy = -rad; dy <= rad && !hit; dy++) for (let dx = -rad; dx <= rad && !hit; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < size && yy < size && edge[yy * size + xx]) hit = true;
      }
      if (hit) onEdge++;
    }
    align[r.style] = align[r.style] || [0, 0];
    align[r.style][0] += onEdge; align[r.style][1] += ink;
    // 4 and 5: parts re-measured on one sheet per face: framed, canonical,
    // unrotated framing; plus the rectangle test.
    const meas = { viewBox: info.viewBox, eye_split_x: info.eye_split_x };
    const M0 = G.frameMatrix(r.frame.scale, 0, r.frame.centre, size);
    const jobs = [];
    for (const part of G.V2.required_parts) {
      const spec = G.partSpec({ def: def }, part, meas);
      if (!spec) continue;
      const body = G.partSVGBody(toks, spec, 'v' + part + '-');
      jobs.push({ part: part, kind: 'framed', m: G.compose([1, 0, mg, 0, 1, mg], A), body: body });
      jobs.push({ part: part, kind: 'canonical', m: G.compose([1, 0, mg, 0, 1, mg], N), body: body });
      jobs.push({ part: part, kind: 'unrotated', m: G.compose([1, 0, mg, 0, 1, mg], G.compose(M0, N)), body: body });
    }
    const h = r.boxes_canonical.head;
    jobs.push({ part: 'rect', kind: 'rect', m: G.compose([1, 0, mg, 0, 1, mg], M), body: '<rect x="' + h[0] + '" y="' + h[1] + '" width="' + (h[2] - h[0]) + '" height="' + (h[3] - h[1]) + '" fill="#000"/>' });
    const tiles = jobs.map(function (j, q) { return G.tileV2(j.body, q * T, 0, T, j.m, false); });
    const img = render('<svg xmlns="http://www.w3.org/2000/svg" width="' + (jobs.length * T) + '" height="' + T + '">' + tiles.join('') + '</svg>');
    jobs.forEach(function (j, q) {
      const bb = G.alphaBox(img, q * T, 0, T, T, j.kind === 'rect' ? 128 : thr);
      j.box = bb ? [bb[0] - mg, bb[1] - mg, bb[2] - mg, bb[3] - mg] : null;
    });
    const within = function (x, y, tol) { return x && y && x.every(function (v, i) { return Math.abs(v - y[i]) <= tol; }); };
    for (const j of jobs) {
      if (j.kind === 'rect') {
        const cb = G.cornersBox(M, h).box;
        stats.rect++;
        if (!within(j.box, cb, 1)) problem('styles: ' + tag + ': canonical head rectangle through frame.matrix renders to ' + JSON.stringify(j.box) + ', transformed corners give ' + JSON.stringify(cb.map(function (v) { return +v.toFixed(2); })));
        continue;
      }
      const bc = r.boxes_canonical[j.part], bf = r.boxes[j.part];
      if (j.kind === 'framed' || j.kind === 'canonical') {
        stats.boxes++;
        const want = j.kind === 'framed' ? bf : bc;
        if (JSON.stringify(want) !== JSON.stringify(j.box)) problem('styles: ' + tag + ': ' + j.kind + ' ' + j.part + ' box ' + JSON.stringify(want) + ' != re-measured ' + JSON.stringify(j.box));
      } else if (bc) {
        stats.unrot++;
        const cb = G.cornersBox(M0, bc).box;
        if (!within(j.box, cb, 1)) problem('styles: ' + tag + ': ' + j.part + ' under the unrotated framing renders to ' + JSON.stringify(j.box) + ', transformed canonical box ' + JSON.stringify(cb.map(function (v) { return +v.toFixed(2); })));
      }
    }
    for (const part of G.V2.required_parts) {
      const bc = r.boxes_canonical[part], bf = r.boxes[part], p = r.points[part];
      if (!bc) { if (bf || p) problem('styles: ' + tag + ': ' + part + ' has no canonical box but a framed box or point'); continue; }
      const q = G.apply(M, G.centre(bc));
      stats.points++;
      if (!p || Math.abs(p[0] - q[0]) > 0.002 || Math.abs(p[1] - q[1]) > 0.002) problem('styles: ' + tag + ': point ' + part + ' ' + JSON.stringify(p) + ' != frame.matrix x centre of boxes_canonical ' + JSON.stringify(q));
      const cb = G.cornersBox(M, bc).box;
      stats.outside++;
      if (!bf || bf[0] < Math.floor(cb[0]) - 1 || bf[1] < Math.floor(cb[1]) - 1 || bf[2] > Math.ceil(cb[2]) + 1 || bf[3] > Math.ceil(cb[3]) + 1) {
        problem('styles: ' + tag + ': framed ' + part + ' box ' + JSON.stringify(bf) + ' leaves the transformed canonical box ' + JSON.stringify(cb.map(function (v) { return +v.toFixed(2); })));
      }
    }
    if (!def.parts.nose) {
      const nb = G.noseBox(r.boxes_canonical.left_eye, r.boxes_canonical.right_eye, r.boxes_canonical.mouth);
      if (JSON.stringify(nb) !== JSON.stringify(r.boxes_canonical.nose)) problem('styles: ' + tag + ': derived nose ' + JSON.stringify(r.boxes_canonical.nose) + ' != noseBox ' + JSON.stringify(nb));
    }
    for (const k of ['style', 'split', 'frame', 'boxes', 'boxes_canonical', 'points', 'line_width', 'line_style']) if (r[k] === undefined) problem('styles: ' + tag + ': no ' + k);
    if ((r.split === 'heldout') !== (r.style === ds.heldout_style)) problem('styles: ' + tag + ': split ' + r.split + ' but the held-out style is ' + ds.heldout_style);
  }
  if (stats.fixDiff && sameRsvg) problem('styles: pixels differ from the fixture (max |diff| ' + stats.fixDiff + ') with the same rsvg-convert');
  if (stats.fixDiff && !sameRsvg) process.stderr.write('check: note: rsvg-convert differs from the styles fixture\'s; max pixel difference ' + stats.fixDiff + '\n');
  // librsvg rounds blend-mode layers (personas' highlight) by 1/255 differently
  // at different sheet offsets; anything more is a real difference.
  if (stats.standalone > 1) problem('styles: color.png differs from a standalone render of face.svg (max |diff| ' + stats.standalone + ')');
  if (stats.sketch) problem('styles: sketch.png differs from the sketch rebuilt from face.svg (max |diff| ' + stats.sketch + ')');
  const rates = [];
  for (const stn of Object.keys(align).sort()) {
    const rate = align[stn][1] ? align[stn][0] / align[stn][1] : 1;
    rates.push(stn + ' ' + rate.toFixed(3));
    if (rate < 0.85) problem('styles: only ' + (100 * rate).toFixed(1) + '% of ' + stn + ' sketch ink lies on dark or edge pixels of the colour images');
  }
  const perStyle = {};
  for (const r of recs) perStyle[r.style] = (perStyle[r.style] || 0) + 1;
  for (const stn of ds.styles) if (!(perStyle[stn] >= 3)) problem('styles: the fixture has ' + (perStyle[stn] || 0) + ' faces of ' + stn + ' (want at least 3)');
  process.stderr.write('check: styles fixture: ' + stats.faces + ' faces (' + Object.keys(perStyle).sort().map(function (k) { return k + ' ' + perStyle[k]; }).join(', ') +
    '); pixel diff ' + stats.fixDiff + '; standalone diff ' + stats.standalone + '; rebuilt sketch diff ' + stats.sketch + '; ' + stats.boxes +
    ' boxes re-measured; ' + stats.points + ' points; ' + stats.rect + ' rectangle and ' + stats.unrot + ' unrotated framing checks; sketch ink on colour edges: ' + rates.join(', ') + '\n');
  return tmp;
}

const tmps = [];
for (const f of fixtures) {
  let ds = null;
  try { ds = JSON.parse(fs.readFileSync(path.join(f, 'dataset.json'), 'utf8')); } catch (e) { problem('cannot read ' + path.join(f, 'dataset.json') + ' (' + (e.code || e.message) + ')'); continue; }
  tmps.push(ds.styles ? checkStyles(f) : checkLegacy(f));
}
if (keep) process.stderr.write('check: output kept in ' + tmps.join(', ') + '\n');
else for (const t of tmps) fs.rmSync(t, { recursive: true, force: true });
process.stderr.write(problems.length ? 'check: FAILED (' + problems.length + ' problem(s))\n' : 'check: OK\n');
process.exit(problems.length ? 1 : 0);
