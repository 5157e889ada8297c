#!/usr/bin/env node
// Preview sheet of generated faces: colour image over its sketch, optionally
// with the part boxes and/or the calibrated windows drawn on the sketch.
//
//   node models/data/preview.mjs --data DIR --out preview.png [--count 8] [--first 0] [--per-style N] [--boxes] [--windows]
//
// Needs only Node and rsvg-convert (it composes an SVG that embeds the PNGs
// as data URIs and renders it).

import fs from 'fs';
import path from 'path';
import { spawnSync } from 'child_process';

function die(msg) { process.stderr.write('preview.mjs: error: ' + msg + '\n'); process.exit(2); }

const a = { count: 8, first: 0, boxes: false, windows: false };
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k++) {
  const s = argv[k];
  if (s === '--data') a.data = argv[++k];
  else if (s === '--out') a.out = argv[++k];
  else if (s === '--count') a.count = parseInt(argv[++k], 10);
  else if (s === '--first') a.first = parseInt(argv[++k], 10);
  else if (s === '--per-style') a.perStyle = parseInt(argv[++k], 10);
  else if (s === '--boxes') a.boxes = true;
  else if (s === '--windows') a.windows = true;
  else die('unknown argument ' + s);
}
if (!a.data || !a.out) die('usage: node models/data/preview.mjs --data DIR --out FILE.png [--count 8] [--first 0] [--per-style N] [--boxes] [--windows]');
if (!(a.count > 0) || !(a.first >= 0)) die('--count must be > 0 and --first >= 0');

const manifest = path.join(a.data, 'manifest.jsonl');
if (!fs.existsSync(manifest)) die('no manifest.jsonl in ' + a.data);
const all = fs.readFileSync(manifest, 'utf8').split('\n').filter(Boolean).map(function (l) { return JSON.parse(l); });
// Rows of faces: one row (--first/--count), or with --per-style N one row of
// the first N faces of each style (multi-style data sets).
let rows;
if (a.perStyle) {
  if (!(a.perStyle > 0)) die('--per-style must be > 0');
  const by = {};
  for (const r of all) { const st = r.style || 'adventurer'; (by[st] = by[st] || []).push(r); }
  rows = Object.keys(by).map(function (st) { return by[st].slice(0, a.perStyle); });
} else rows = [all.slice(a.first, a.first + a.count)];
const recs = [].concat.apply([], rows);
if (!recs.length) die('no faces in range');
let windows = null;
if (a.windows) {
  const ds = path.join(a.data, 'dataset.json');
  if (!fs.existsSync(ds)) die('--windows needs ' + ds);
  windows = JSON.parse(fs.readFileSync(ds, 'utf8')).windows;
}

const COLORS = {
  left_eye: '#e6194b', right_eye: '#3cb44b', eyebrows: '#f58231', mouth: '#4363d8', nose: '#911eb4',
  hair: '#9a6324', glasses: '#42d4f4', earrings: '#f032e6', features: '#808000', head: '#ff8c00',
};
const WCOLORS = { left_eye: '#e6194b', right_eye: '#3cb44b', nose: '#911eb4', mouth: '#4363d8' };

const size = recs[0].size, gap = 4, ncol = Math.max.apply(null, rows.map(function (r) { return r.length; }));
const W = ncol * (size + gap) + gap, H = rows.length * (2 * size + 3 * gap) + (rows.length > 1 ? gap : 0);
let body = '<rect width="' + W + '" height="' + H + '" fill="#ddd"/>';
function uri(file) { return 'data:image/png;base64,' + fs.readFileSync(path.join(a.data, file)).toString('base64'); }
function overlay(r, x, y) {
  let s = '';
  if (a.boxes) {
    for (const k of Object.keys(COLORS)) {
      const b = r.boxes[k];
      if (!b) continue;
      s += '<rect x="' + (x + b[0] + 0.5) + '" y="' + (y + b[1] + 0.5) + '" width="' + (b[2] - b[0] - 1) + '" height="' + (b[3] - b[1] - 1) +
        '" fill="none" stroke="' + COLORS[k] + '" stroke-width="1"/>';
    }
    // v2 points (frame.matrix applied to the canonical box centres): dots.
    for (const k of Object.keys(r.points || {})) {
      const p = r.points[k];
      if (p) s += '<circle cx="' + (x + p[0]) + '" cy="' + (y + p[1]) + '" r="2.5" fill="' + (COLORS[k] || '#000') + '"/>';
    }
  }
  if (windows) {
    for (const k of Object.keys(WCOLORS)) {
      const w = windows[k];
      s += '<rect x="' + (x + w[0] + 0.5) + '" y="' + (y + w[1] + 0.5) + '" width="' + (w[2] - 1) + '" height="' + (w[2] - 1) +
        '" fill="none" stroke="' + WCOLORS[k] + '" stroke-width="1" stroke-dasharray="3 2"/>';
    }
  }
  return s;
}
for (let row = 0; row < rows.length; row++) {
  const y0 = row * (2 * size + 4 * gap);
  for (let k = 0; k < rows[row].length; k++) {
    const r = rows[row][k], x = gap + k * (size + gap);
    body += '<image x="' + x + '" y="' + (y0 + gap) + '" width="' + size + '" height="' + size + '" href="' + uri(r.files.color) + '"/>';
    body += '<image x="' + x + '" y="' + (y0 + 2 * gap + size) + '" width="' + size + '" height="' + size + '" href="' + uri(r.files.sketch) + '"/>';
    body += overlay(r, x, y0 + 2 * gap + size); // boxes/windows on the sketch row only
    if (r.style && k === 0) body += '<text x="' + (x + 3) + '" y="' + (y0 + gap + 12) + '" font-family="sans-serif" font-size="11" fill="#444">' + r.style + (r.split === 'heldout' ? ' (held out)' : '') + '</text>';
  }
}
const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="' + W + '" height="' + H + '">' + body + '</svg>';
const res = spawnSync('rsvg-convert', ['-f', 'png', '-o', a.out], { input: svg });
if (res.error) die('cannot run rsvg-convert (' + res.error.code + '); install it with: apt-get install librsvg2-bin');
if (res.status !== 0) die('rsvg-convert failed: ' + String(res.stderr).trim());
process.stdout.write(a.out + '\n');
