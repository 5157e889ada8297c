#!/usr/bin/env node
// Sumi training-data generator (issue 3, DESIGN.md section 5).
//
// Renders DiceBear "adventurer" faces to a colour image, an exactly aligned
// line-art sketch and per-part boxes, writes a manifest and calibrated
// DeepFaceDrawing-style component windows.
//
//   npm ci --prefix models/data
//   node models/data/generate.mjs --out DIR --count N [--size 256] [--jobs 2] [--seed S]
//
// See models/data/README.md for the output layout and every rule used here.
//
// Syntax note: this file sticks to ES2019 syntax (no ?. or ??) so that an old
// Node can still parse it and print the "Node.js too old" message below.

import fs from 'fs';
import os from 'os';
import path from 'path';
import zlib from 'zlib';
import crypto from 'crypto';
import { spawn, spawnSync, fork } from 'child_process';
import { fileURLToPath } from 'url';
import * as ST from './styles.mjs';

const GENERATOR_VERSION = '1.0.0';
const GENERATOR_VERSION_V2 = '2.0.0';
const MIN_NODE_MAJOR = 18;
const SCRIPT = fileURLToPath(import.meta.url);
const SCRIPT_DIR = path.dirname(SCRIPT);

// ---------------------------------------------------------------------------
// Generation settings. Everything that changes the pixels or the manifest is
// here and is written to dataset.json (and checked on resume).
// ---------------------------------------------------------------------------
const SETTINGS = {
  // DiceBear adventurer draws in a 762 x 762 viewBox; parts share one frame
  // (every part group is translated by (-161, -83)), so the canvas is that
  // viewBox scaled to size x size, on white.
  view_box: 762,
  probabilities: {
    hair: 0.95,      // otherwise bald (DiceBear default hairProbability 100)
    glasses: 0.20,   // DiceBear default 10
    earrings: 0.25,  // DiceBear default 10; some long hair hides earrings (DiceBear rule)
    features: 0.20,  // DiceBear default 5; one of mustache/blush/birthmark/freckles
  },
  // Skin: a palette colour, or with p_blend a uniform linear blend between two
  // neighbouring palette colours (palette is ordered light to dark).
  skin: { palette: ['f2d3b1', 'ecad80', '9e5622', '763900'], p_blend: 0.15 },
  // Hair: a palette colour, or with p_random a random HSL colour.
  hair_color: {
    palette: ['ac6511', 'cb6820', 'ab2a18', 'e5d7a3', 'b9a05f', '796a45', '6a4e35',
      '562306', '0e0e0e', 'afafaf', '3eac2c', '85c2c6', 'dba3be', '592454'],
    p_random: 0.20,
    random_hsl: { s: [0.25, 0.90], l: [0.15, 0.75] },
  },
  // A pixel belongs to a part when its alpha in the part-only render is >= this.
  box_alpha_threshold: 64,
  // Splits: by a hash of the face seed.
  split: { train: 0.8, val: 0.1, test: 0.1 },
  // Component windows: padding added on every side of the train-split union
  // box, as a fraction of the canvas size, before making it square.
  window_pad: 0.03,
  // Sketch: fills of exactly this colour are ink (black); every other fill is
  // white; elements with opacity < 0.5 (soft shadows) are hidden.
  ink_fill: '#000',
};

const PARTS = ['base', 'eyes', 'eyebrows', 'mouth', 'features', 'glasses', 'hair', 'earrings'];
// Parts shown with probability (others are always present).
const OPTIONAL_PARTS = ['hair', 'glasses', 'earrings', 'features'];

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------
function die(msg, code) {
  process.stderr.write('generate.mjs: error: ' + msg + '\n');
  process.exit(code === undefined ? 2 : code);
}

function idOf(i) { return String(i).padStart(5, '0'); }

function writeAtomic(file, data) {
  const tmp = path.join(path.dirname(file), '.' + path.basename(file) + '.tmp');
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

// mkdir -p without fs.mkdirSync({recursive}), which loops forever on some
// paths (e.g. under /proc, where mkdir answers ENOENT for an existing parent).
function mkdirp(dir) {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if (e.code === 'EEXIST') {
      if (!fs.statSync(dir).isDirectory()) { const err = new Error(dir + ' is not a folder'); err.code = 'ENOTDIR'; throw err; }
      return;
    }
    const parent = path.dirname(dir);
    if (e.code === 'ENOENT' && parent !== dir && !fs.existsSync(parent)) { mkdirp(parent); fs.mkdirSync(dir); return; }
    throw e;
  }
}

function sha256(s) { return crypto.createHash('sha256').update(s).digest(); }

// sfc32, seeded from 16 bytes of a hash.
function makeRng(bytes) {
  let a = bytes.readUInt32LE(0), b = bytes.readUInt32LE(4), c = bytes.readUInt32LE(8), d = bytes.readUInt32LE(12);
  function next() {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  for (let k = 0; k < 12; k++) next();
  return {
    float: next,
    bool: function (p) { return next() < p; },
    pick: function (arr) { return arr[Math.floor(next() * arr.length)]; },
    range: function (lo, hi) { return lo + (hi - lo) * next(); },
  };
}

const hex2 = ST.hex2, blendHex = ST.blendHex, hslHex = ST.hslHex;  // colour helpers (styles.mjs)

// ---------------------------------------------------------------------------
// PNG decode (8-bit grey/RGB/RGBA, non-interlaced: what rsvg-convert writes)
// and encode (grey, RGB or RGBA).
// ---------------------------------------------------------------------------
const CRC_TABLE = (function () {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(buf) {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function paeth(a, b, c) {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePNG(buf) {
  if (buf.length < 8 || buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8, w = 0, h = 0, depth = 0, ctype = 0, interlace = 0;
  const idat = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      w = data.readUInt32BE(0); h = data.readUInt32BE(4); depth = data[8]; ctype = data[9]; interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (depth !== 8 || interlace !== 0 || (ctype !== 6 && ctype !== 2 && ctype !== 0)) {
    throw new Error('unsupported PNG (depth ' + depth + ', colour type ' + ctype + ', interlace ' + interlace + ')');
  }
  const bpp = ctype === 6 ? 4 : ctype === 2 ? 3 : 1, stride = w * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, dst = y * stride, up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const a = x >= bpp ? out[dst + x - bpp] : 0, b = y > 0 ? out[up + x] : 0, c = x >= bpp && y > 0 ? out[up + x - bpp] : 0;
      out[dst + x] = f === 0 ? v : f === 1 ? v + a : f === 2 ? v + b : f === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c);
    }
  }
  return { width: w, height: h, channels: bpp, data: out };
}

function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// Filter type 0 on every row with zlib level 6: for these flat-colour images
// that is both the smallest and much the fastest choice (measured: Sub/Up
// filters made files 20-30% larger; level 9 was 7x slower for ~5% smaller).
export function encodePNG(w, h, channels, data) {
  const ctype = channels === 1 ? 0 : channels === 3 ? 2 : 6, stride = w * channels;
  const filtered = Buffer.alloc(h * (stride + 1));
  for (let y = 0; y < h; y++) data.copy(filtered, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = ctype; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(filtered, { level: 6 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// Copy a w x h tile at (x0, y0) out of an RGBA image, keeping `keep` channels
// (1: the red channel as grey, 3: RGB, 4: RGBA).
function cropTile(img, x0, y0, w, h, keep) {
  const out = Buffer.alloc(w * h * keep), C = img.channels;
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * img.width + x0) * C, d = y * w * keep;
    for (let x = 0; x < w; x++, s += C, d += keep) {
      for (let k = 0; k < keep; k++) out[d + k] = img.data[s + k];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// rsvg-convert
// ---------------------------------------------------------------------------
function rsvgVersion() {
  const r = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return String(r.stdout).trim().replace(/^rsvg-convert version\s*/, '');
}

// Render an SVG string to PNG bytes (stdin -> stdout; no temporary files).
export function renderSVG(svg) {
  return new Promise(function (resolve, reject) {
    const p = spawn('rsvg-convert', ['-f', 'png'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [], err = [];
    p.stdout.on('data', function (d) { out.push(d); });
    p.stderr.on('data', function (d) { err.push(d); });
    p.on('error', reject);
    p.stdin.on('error', function () { /* reported through exit status */ });
    p.on('close', function (code) {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error('rsvg-convert exited with ' + code + ': ' + Buffer.concat(err).toString().trim().split('\n')[0]));
    });
    p.stdin.end(svg);
  });
}

// ---------------------------------------------------------------------------
// DiceBear
// ---------------------------------------------------------------------------
let DB = null; // { createAvatar, style, version }

async function loadDiceBear() {
  try {
    const core = await import('@dicebear/core');
    const style = await import('@dicebear/adventurer');
    const v1 = JSON.parse(fs.readFileSync(path.join(SCRIPT_DIR, 'node_modules/@dicebear/core/package.json'), 'utf8')).version;
    const v2 = JSON.parse(fs.readFileSync(path.join(SCRIPT_DIR, 'node_modules/@dicebear/adventurer/package.json'), 'utf8')).version;
    DB = { createAvatar: core.createAvatar, style: style, version: v1, styleVersion: v2 };
  } catch (e) {
    const prefix = path.relative(process.cwd(), SCRIPT_DIR) || '.';
    die('cannot load @dicebear/core / @dicebear/adventurer (' + String(e.code || e.message).split('\n')[0] +
      '); install them with: npm ci --prefix ' + prefix);
  }
  if (DB.version !== DB.styleVersion) die('@dicebear/core ' + DB.version + ' and @dicebear/adventurer ' + DB.styleVersion + ' differ; run npm ci --prefix ' + SCRIPT_DIR);
}

function variants(part) { return DB.style.schema.properties[part].items.enum.slice().sort(); }

// Options for createAvatar that select exactly the given parts.
function avatarOptions(faceSeed, choice) {
  const o = {
    seed: faceSeed,
    // No <mask> clip wrapper: the canvas (or a sheet tile's viewport) clips to
    // the viewBox anyway, and librsvg renders every mask as a sheet-sized layer.
    clip: false,
    skinColor: [choice.skin_color || 'ecad80'],
    hairColor: [choice.hair_color || '000000'],
  };
  for (let k = 0; k < PARTS.length; k++) {
    const part = PARTS[k], v = choice.parts[part];
    o[part] = v ? [v] : [];
    if (OPTIONAL_PARTS.indexOf(part) >= 0) o[part + 'Probability'] = v ? 100 : 0;
  }
  return o;
}

// Choose every option of face i deterministically from (seed, i).
function chooseFace(seed, i) {
  const faceSeed = seed + ':' + i;
  const h = sha256('sumi-face:' + faceSeed);
  const u = h.readUInt32BE(0) / 4294967296;
  const split = u < SETTINGS.split.train ? 'train' : u < SETTINGS.split.train + SETTINGS.split.val ? 'val' : 'test';
  const rng = makeRng(h.subarray(4, 20));
  const P = SETTINGS.probabilities;
  const parts = {
    base: 'default',
    eyes: rng.pick(variants('eyes')),
    eyebrows: rng.pick(variants('eyebrows')),
    mouth: rng.pick(variants('mouth')),
  };
  // Always draw the same number of random values so that one option's
  // outcome does not shift the others.
  const opt = {};
  for (let k = 0; k < OPTIONAL_PARTS.length; k++) {
    const part = OPTIONAL_PARTS[k], on = rng.bool(P[part]), v = rng.pick(variants(part));
    opt[part] = on ? v : null;
  }
  parts.features = opt.features; parts.glasses = opt.glasses; parts.hair = opt.hair; parts.earrings = opt.earrings;
  const S = SETTINGS.skin, blend = rng.bool(S.p_blend), spal = rng.pick(S.palette);
  const sj = Math.floor(rng.float() * (S.palette.length - 1)), st = rng.float();
  const skin = blend ? blendHex(S.palette[sj], S.palette[sj + 1], st) : spal;
  const H = SETTINGS.hair_color, rnd = rng.bool(H.p_random), hpal = rng.pick(H.palette);
  const hh = rng.range(0, 360), hs = rng.range(H.random_hsl.s[0], H.random_hsl.s[1]), hl = rng.range(H.random_hsl.l[0], H.random_hsl.l[1]);
  const hair = rnd ? hslHex(hh, hs, hl) : hpal;
  return { index: i, faceSeed: faceSeed, split: split, parts: parts, skin_color: skin, hair_color: hair };
}

// The DiceBear SVG of a face, and the parts DiceBear actually drew (its
// onPostCreate hook drops earrings under some long hair styles).
function faceSVG(choice) {
  const json = DB.createAvatar(DB.style, avatarOptions(choice.faceSeed, choice)).toJson();
  const drawn = {};
  for (let k = 0; k < PARTS.length; k++) drawn[PARTS[k]] = json.extra[PARTS[k]] || null;
  return { svg: json.svg, drawn: drawn };
}

// Inner markup of a DiceBear SVG (without the root element and metadata).
function svgBody(svg) {
  return svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '').replace(/<metadata[\s\S]*?<\/metadata>/, '');
}

// Line art: ink fills black, every other fill white, soft shadows hidden.
export function sketchBody(body) {
  return body
    .replace(/ fill="([^"]*)"/g, function (m, c) {
      if (c === 'none') return m;
      return c.toLowerCase() === SETTINGS.ink_fill ? ' fill="#000"' : ' fill="#fff"';
    })
    .replace(/ opacity="([^"]*)"/g, function (m, v) { return parseFloat(v) < 0.5 ? ' opacity="0"' : m; });
}

function tile(body, x, y, size) {
  const vb = SETTINGS.view_box;
  return '<svg x="' + x + '" y="' + y + '" width="' + size + '" height="' + size + '" viewBox="0 0 ' + vb + ' ' + vb +
    '" fill="none" shape-rendering="auto">' + body + '</svg>';
}

// Tiles per sheet row: at most `want`, and the row at most 16384 px wide
// (cairo surfaces are limited to 32767 px).
function sheetColumns(size, want) { return Math.max(1, Math.min(want, Math.floor(16384 / size))); }

function sheet(w, h, tiles, white) {
  return '<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '">' +
    (white ? '<rect width="' + w + '" height="' + h + '" fill="#fff"/>' : '') + tiles.join('') + '</svg>';
}

// ---------------------------------------------------------------------------
// Part boxes. Every adventurer part is drawn in one shared frame and its
// shape depends only on its variant id (colours only change fills), so the
// box of a part is a property of (part, variant, size): measured once per run
// from renders where all groups but that one are hidden. `--verify-boxes`
// re-measures every face from its own SVG to check this.
// ---------------------------------------------------------------------------
export function alphaBox(img, x0, y0, w, h, thr, xFrom, xTo) {
  let bx0 = Infinity, by0 = Infinity, bx1 = -1, by1 = -1;
  const a = xFrom === undefined ? 0 : xFrom, b = xTo === undefined ? w : xTo;
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * img.width + x0 + a) * 4 + 3;
    for (let x = a; x < b; x++, s += 4) {
      if (img.data[s] >= thr) {
        if (x < bx0) bx0 = x; if (x > bx1) bx1 = x; if (y < by0) by0 = y; if (y > by1) by1 = y;
      }
    }
  }
  return bx1 < 0 ? null : [bx0, by0, bx1 + 1, by1 + 1];
}

function columnsOccupied(img, x0, y0, w, h, thr) {
  const occ = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * img.width + x0) * 4 + 3;
    for (let x = 0; x < w; x++, s += 4) if (img.data[s] >= thr) occ[x] = 1;
  }
  return occ;
}

// Split column between the two eyes: the middle of the widest run of empty
// columns strictly inside the occupied span.
function splitColumn(occ) {
  let first = occ.indexOf(1), last = occ.lastIndexOf(1), best = null, run = 0;
  for (let x = first; x <= last; x++) {
    if (!occ[x]) { run++; continue; }
    if (run > 0 && (!best || run > best.len)) best = { len: run, start: x - run };
    run = 0;
  }
  return best ? best.start + Math.floor(best.len / 2) : null;
}

async function measureParts(size, thr, jobs) {
  const items = [];
  for (let k = 0; k < PARTS.length; k++) {
    const part = PARTS[k], vs = variants(part);
    for (let j = 0; j < vs.length; j++) items.push({ part: part, variant: vs[j] });
  }
  // Rendered as rows of tiles, `jobs` rsvg-convert calls at a time: one big
  // sheet is slow (rsvg-convert's PNG encoding, and librsvg allocates a
  // sheet-sized layer for every element with opacity).
  const cols = sheetColumns(size, 8), sheets = [];
  for (let r = 0; r * cols < items.length; r++) {
    const tiles = [], row = items.slice(r * cols, (r + 1) * cols);
    for (let n = 0; n < row.length; n++) {
      const parts = {}; parts[row[n].part] = row[n].variant;
      const svg = faceSVG({ faceSeed: 'part', parts: parts, skin_color: 'ecad80', hair_color: 'ac6511' }).svg;
      tiles.push(tile(svgBody(svg), n * size, 0, size));
    }
    sheets.push(sheet(cols * size, size, tiles, false));
  }
  const rows = new Array(sheets.length);
  let nextSheet = 0;
  async function lane() {
    while (nextSheet < sheets.length) { const r = nextSheet++; rows[r] = decodePNG(await renderSVG(sheets[r])); }
  }
  const lanes = [];
  for (let j = 0; j < Math.max(1, jobs); j++) lanes.push(lane());
  await Promise.all(lanes);
  const table = {};
  for (let n = 0; n < items.length; n++) {
    const it = items[n], img = rows[Math.floor(n / cols)], x0 = (n % cols) * size, y0 = 0;
    const rec = { box: alphaBox(img, x0, y0, size, size, thr) };
    if (it.part === 'eyes' || it.part === 'eyebrows') rec.occ = columnsOccupied(img, x0, y0, size, size, thr);
    rec.x0 = x0; rec.y0 = y0; rec.img = img;
    if (!table[it.part]) table[it.part] = {};
    table[it.part][it.variant] = rec;
  }
  // One split column for eyes and eyebrows: the widest empty-column gap of the
  // union of all eye variants (the eyes of every variant sit in the same two
  // places; the face is drawn in three-quarter view, so this is not size/2).
  const union = new Uint8Array(size);
  const ev = Object.keys(table.eyes);
  for (let j = 0; j < ev.length; j++) for (let x = 0; x < size; x++) union[x] |= table.eyes[ev[j]].occ[x];
  let split = splitColumn(union);
  if (split === null) split = Math.floor(size / 2);
  for (const part of ['eyes', 'eyebrows']) {
    for (const v of Object.keys(table[part])) {
      const r = table[part][v];
      r.left = alphaBox(r.img, r.x0, r.y0, size, size, thr, 0, split);
      r.right = alphaBox(r.img, r.x0, r.y0, size, size, thr, split, size);
      delete r.occ;
    }
  }
  for (const part of Object.keys(table)) for (const v of Object.keys(table[part])) { delete table[part][v].x0; delete table[part][v].y0; delete table[part][v].img; }
  return { split_x: split, table: table };
}

export function centre(b) { return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]; }

// Nose window (adventurer draws no nose): horizontally from the centre of the
// left eye box to the centre of the right eye box, vertically from the mean
// eye centre height to the centre of the mouth box -- the same placement as
// the DeepFaceDrawing nose window relative to its eye and mouth windows.
export function noseBox(le, re, mo) {
  if (!le || !re || !mo) return null;
  const cl = centre(le), cr = centre(re), cm = centre(mo);
  const x0 = Math.round(Math.min(cl[0], cr[0])), x1 = Math.round(Math.max(cl[0], cr[0]));
  const y0 = Math.round((cl[1] + cr[1]) / 2), y1 = Math.round(cm[1]);
  return [x0, Math.min(y0, y1), Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)];
}

function faceBoxes(parts, measured) {
  const T = measured.table;
  function get(part) { return parts[part] ? T[part][parts[part]] : null; }
  const eyes = get('eyes'), brows = get('eyebrows'), mouth = get('mouth');
  const b = {
    left_eye: eyes.left, right_eye: eyes.right, eyes: eyes.box,
    left_eyebrow: brows.left, right_eyebrow: brows.right, eyebrows: brows.box,
    mouth: mouth.box,
    nose: noseBox(eyes.left, eyes.right, mouth.box),
    hair: get('hair') ? get('hair').box : null,
    glasses: get('glasses') ? get('glasses').box : null,
    earrings: get('earrings') ? get('earrings').box : null,
    features: get('features') ? get('features').box : null,
    head: get('base').box,
  };
  return b;
}

// Split a DiceBear body into its top-level elements: the base paths, then one
// <g transform="translate(-161 -83)"> per part in the order of PARTS[1..].
function topLevelGroups(body) {
  const out = [];
  const re = /<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g;
  let depth = 0, start = 0, m;
  while ((m = re.exec(body))) {
    if (m[4] === '/') { if (depth === 0) { out.push(body.slice(m.index, re.lastIndex)); } continue; }
    if (m[1] === '/') { depth--; if (depth === 0) out.push(body.slice(start, re.lastIndex)); continue; }
    if (depth === 0) start = m.index;
    depth++;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Worker: renders batches of faces.
// ---------------------------------------------------------------------------
async function renderBatch(ctx, indices) {
  const size = ctx.size, n = indices.length, faces = [], tiles = [];
  for (let k = 0; k < n; k++) {
    const choice = chooseFace(ctx.seed, indices[k]);
    const f = faceSVG(choice);
    const body = svgBody(f.svg);
    faces.push({ choice: choice, svg: f.svg, drawn: f.drawn, body: body });
    tiles.push(tile(body, k * size, 0, size));
    tiles.push(tile(sketchBody(body), k * size, size, size));
  }
  const img = decodePNG(await renderSVG(sheet(n * size, 2 * size, tiles, true)));
  let verify = null;
  if (ctx.verifyBoxes) verify = await verifyBoxes(ctx, faces);
  for (let k = 0; k < n; k++) {
    const f = faces[k], c = f.choice, id = idOf(c.index);
    const dir = path.join(ctx.out, 'faces', id);
    mkdirp(dir);
    writeAtomic(path.join(dir, 'color.png'), encodePNG(size, size, 3, cropTile(img, k * size, 0, size, size, 3)));
    writeAtomic(path.join(dir, 'sketch.png'), encodePNG(size, size, 1, cropTile(img, k * size, size, size, size, 1)));
    const files = { color: 'faces/' + id + '/color.png', sketch: 'faces/' + id + '/sketch.png' };
    if (ctx.keepSvg) { writeAtomic(path.join(dir, 'face.svg'), f.svg); files.svg = 'faces/' + id + '/face.svg'; }
    const options = {};
    for (let j = 1; j < PARTS.length; j++) options[PARTS[j]] = f.drawn[PARTS[j]];
    const rec = {
      id: id, index: c.index, seed: c.faceSeed, split: c.split, size: size,
      options: options,
      skin_color: '#' + c.skin_color,
      hair_color: f.drawn.hair ? '#' + c.hair_color : null,
      files: files,
      boxes: faceBoxes(f.drawn, ctx.measured),
    };
    if (verify && verify[k]) throw new Error('face ' + id + ': ' + verify[k]);
    // face.json is written last: it is the face's done marker and its manifest line.
    writeAtomic(path.join(dir, 'face.json'), JSON.stringify(rec) + '\n');
  }
}

// Re-measure each part of each face from the face's own SVG (all top-level
// groups but one removed) and compare with the per-variant table.
async function verifyBoxes(ctx, faces) {
  const errors = [];
  for (let k = 0; k < faces.length; k++) errors.push(await verifyFace(ctx, faces[k]));
  return errors;
}

// One rsvg-convert call per face: one tile per drawn part.
async function verifyFace(ctx, face) {
  const size = ctx.size, thr = SETTINGS.box_alpha_threshold, tiles = [], parts = [], cols = sheetColumns(size, PARTS.length);
  const groups = topLevelGroups(face.body);
  // base is several top-level paths; the 7 part groups are the last 7.
  const nBase = groups.length - (PARTS.length - 1);
  for (let j = 0; j < PARTS.length; j++) {
    if (!face.drawn[PARTS[j]]) continue;
    const keep = j === 0 ? groups.slice(0, nBase).join('') : groups[nBase + j - 1];
    tiles.push(tile(keep, (parts.length % cols) * size, Math.floor(parts.length / cols) * size, size));
    parts.push(PARTS[j]);
  }
  const img = decodePNG(await renderSVG(sheet(cols * size, Math.ceil(parts.length / cols) * size, tiles, false)));
  const errs = [], split = ctx.measured.split_x;
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  for (let n = 0; n < parts.length; n++) {
    const rec = ctx.measured.table[parts[n]][face.drawn[parts[n]]];
    const x0 = (n % cols) * size, y0 = Math.floor(n / cols) * size;
    const box = alphaBox(img, x0, y0, size, size, thr);
    if (!same(box, rec.box)) errs.push(parts[n] + ' box ' + JSON.stringify(box) + ' != table ' + JSON.stringify(rec.box));
    if (parts[n] === 'eyes' || parts[n] === 'eyebrows') {
      if (!same(alphaBox(img, x0, y0, size, size, thr, 0, split), rec.left) ||
          !same(alphaBox(img, x0, y0, size, size, thr, split, size), rec.right)) errs.push(parts[n] + ' left/right split differs');
    }
  }
  return errs.length ? errs.join('; ') : null;
}

async function workerMain() {
  await loadDiceBear();
  let ctx = null;
  // The main process is gone (killed): stop; unfinished faces have no face.json.
  process.on('disconnect', function () { process.exit(0); });
  // A message to a main process that was killed fails with EPIPE: just stop.
  process.on('error', function () { process.exit(0); });
  let loaded = Promise.resolve();
  const render = function (c, indices) { return loaded.then(function () { return c.v2 ? renderBatchV2(c, indices) : renderBatch(c, indices); }); };
  process.on('message', function (msg) {
    if (msg.type === 'init') { ctx = msg.ctx; if (ctx.v2) loaded = loadStyles(ctx.styles); return; }
    if (msg.type === 'stop') { process.exit(0); }
    if (msg.type === 'batch') {
      render(ctx, msg.indices).then(function () {
        process.send({ type: 'done', indices: msg.indices, failed: [] });
      }, async function (batchErr) {
        // Retry one by one so that one bad face does not fail its neighbours.
        const failed = [];
        if (msg.indices.length === 1) failed.push({ index: msg.indices[0], error: String(batchErr.message) });
        else {
          for (let k = 0; k < msg.indices.length; k++) {
            try { await render(ctx, [msg.indices[k]]); } catch (e) { failed.push({ index: msg.indices[k], error: String(e.message) }); }
          }
        }
        process.send({ type: 'done', indices: msg.indices, failed: failed });
      });
    }
  });
  process.send({ type: 'ready' });
}

// ---------------------------------------------------------------------------
// Multi-style faces with random framing (issue 17; "v2" output). Used when any
// of --styles / --framing / --widths / --heldout is given. See README.md,
// "Multi-style data".
// ---------------------------------------------------------------------------
export const V2 = {
  // The canonical frame: adventurer's head box as rendered at 256 px (scaled
  // with --size). Every style's head box is put onto it (normalisation), and
  // the random framing then moves the canonical frame on the canvas.
  canonical_head_256: [48, 54, 217, 206],
  // Per-style normalisation: one uniform scale that matches the head-box
  // HEIGHT of the style's reference head to the canonical height, and a
  // translation that puts the two centres together. The reference head is
  // the per-coordinate median of the head boxes of `measure_faces` faces
  // (seed "sumi-norm"), measured at `measure_px` px per viewBox width.
  normalisation_rule: 'height',
  measure_px: 256,
  measure_faces: 16,
  framing: { scale: [0.55, 1.3], rotation_deg: [-15, 15], min_head_visible: 0.85, max_tries: 500 },
  // Outline widths (px at 256, scaled with --size): added as a same-colour
  // stroke to ink fills; stroked and silhouette outlines are drawn at
  // base_line_px + width.
  widths: [0, 1, 2, 3],
  base_line_px: 1.0,
  // Line-style choice recorded for the later Python/C++ step.
  line_styles: [['svg', 0.35], ['xdog', 0.15], ['detail_filter', 0.15], ['roughen', 0.20], ['progressive', 0.15]],
  progressive_keep: [0.3, 1.0],
  heldout_default: 'toon-head',
  // Part tiles are rendered with a margin (fraction of size) so that parts
  // that leave the canvas are still measured whole.
  margin_canonical: 1 / 16,
  margin_framed: 1 / 6,
  required_parts: ['left_eye', 'right_eye', 'nose', 'mouth', 'head'],
};

let STY = null; // name -> loaded style (styles.mjs)

async function loadStyles(names) {
  STY = {};
  for (const n of names) {
    try { STY[n] = await ST.loadStyle(SCRIPT_DIR, n); } catch (e) {
      const prefix = path.relative(process.cwd(), SCRIPT_DIR) || '.';
      die('cannot load ' + ((ST.STYLE_DEFS[n] || {}).pkg || n) + ' (' + String(e.code || e.message).split('\n')[0] + '); install it with: npm ci --prefix ' + prefix);
    }
    if (STY[n].version !== DB.version) die(ST.STYLE_DEFS[n].pkg + ' ' + STY[n].version + ' differs from @dicebear/core ' + DB.version + '; run npm ci --prefix ' + SCRIPT_DIR);
  }
}

export function canonicalHead(size) { return V2.canonical_head_256.map(function (v) { return v * size / 256; }); }

// DiceBear SVG of a face in style S with options o: body (with part markers)
// and viewBox [minx, miny, w, h].
function styleSVG(S, o) {
  const json = DB.createAvatar(S.style, o).toJson();
  const vb = /viewBox="([^"]*)"/.exec(json.svg)[1].trim().split(/[\s,]+/).map(Number);
  return { svg: json.svg, body: ST.masksToClips(svgBody(json.svg)), viewBox: vb, extra: json.extra };
}

// Options of a face of style `name` (adventurer: the v1 chooser, so that the
// same seed gives the same adventurer face as v1).
function styleOptions(name, faceSeed, rngBytes) {
  const S = STY[name];
  if (name === 'adventurer') {
    const parts = faceSeed.lastIndexOf(':'), seed = faceSeed.slice(0, parts), i = parseInt(faceSeed.slice(parts + 1), 10);
    const c = chooseFace(seed, i);
    const o = avatarOptions(faceSeed, c);
    return { options: o, legacy: c };
  }
  const r = ST.chooseOptions(S, makeRng(rngBytes));
  r.options.seed = faceSeed;
  return { options: r.options, legacy: null };
}

// 2x3 affine helpers: m = [a, b, tx, c, d, ty]: x' = a x + b y + tx, y' = c x + d y + ty.
export function apply(m, p) { return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]]; }
export function compose(m, n) { // m after n
  return [m[0] * n[0] + m[1] * n[3], m[0] * n[1] + m[1] * n[4], m[0] * n[2] + m[1] * n[5] + m[2],
    m[3] * n[0] + m[4] * n[3], m[3] * n[1] + m[4] * n[4], m[3] * n[2] + m[4] * n[5] + m[5]];
}
export function svgMatrix(m) { return 'matrix(' + [m[0], m[3], m[1], m[4], m[2], m[5]].join(' ') + ')'; }
export function cornersBox(m, b) {
  const p = [apply(m, [b[0], b[1]]), apply(m, [b[2], b[1]]), apply(m, [b[2], b[3]]), apply(m, [b[0], b[3]])];
  const xs = p.map(function (q) { return q[0]; }), ys = p.map(function (q) { return q[1]; });
  return { pts: p, box: [Math.min.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, xs), Math.max.apply(null, ys)] };
}

// Area of a polygon clipped to [0, size]^2 (Sutherland-Hodgman).
function polyArea(p) { let s = 0; for (let i = 0; i < p.length; i++) { const q = p[(i + 1) % p.length]; s += p[i][0] * q[1] - q[0] * p[i][1]; } return Math.abs(s) / 2; }
function clipPoly(p, size) {
  const edges = [[0, 0, 1], [0, size, -1], [1, 0, 1], [1, size, -1]];
  for (const e of edges) {
    const inside = function (q) { return e[2] > 0 ? q[e[0]] >= e[1] : q[e[0]] <= e[1]; };
    const out = [];
    for (let i = 0; i < p.length; i++) {
      const a = p[i], b = p[(i + 1) % p.length], ia = inside(a), ib = inside(b);
      if (ia) out.push(a);
      if (ia !== ib) { const t = (e[1] - a[e[0]]) / (b[e[0]] - a[e[0]]); out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]); }
    }
    p = out;
    if (!p.length) break;
  }
  return p;
}
export function visibleFraction(pts, size) { const a = polyArea(pts); return a > 0 ? polyArea(clipPoly(pts, size)) / a : 0; }

export function frameMatrix(s, rdeg, c, size) {
  const h = canonicalHead(size), hc = [(h[0] + h[2]) / 2, (h[1] + h[3]) / 2], r = rdeg * Math.PI / 180;
  const a = s * Math.cos(r), b = -s * Math.sin(r), cc = s * Math.sin(r), d = s * Math.cos(r);
  return [a, b, c[0] - (a * hc[0] + b * hc[1]), cc, d, c[1] - (cc * hc[0] + d * hc[1])];
}

// Random similarity transform of the canonical frame (seeded), or identity.
function sampleFrame(rng, size, mode) {
  const F = V2.framing, h = canonicalHead(size), hc = [(h[0] + h[2]) / 2, (h[1] + h[3]) / 2];
  const s = Math.round(rng.range(F.scale[0], F.scale[1]) * 1e4) / 1e4;
  const r = Math.round(rng.range(F.rotation_deg[0], F.rotation_deg[1]) * 1e3) / 1e3;
  if (mode === 'none') return { scale: 1, rotation_deg: 0, centre: hc, matrix: [1, 0, 0, 0, 1, 0] };
  const lim = 0.8 * Math.round(V2.margin_framed * size);
  for (let t = 0; t < F.max_tries; t++) {
    const c = [Math.round(rng.range(0, size) * 1e3) / 1e3, Math.round(rng.range(0, size) * 1e3) / 1e3];
    const m = frameMatrix(s, r, c, size), cb = cornersBox(m, h);
    if (cb.box[0] < -lim || cb.box[1] < -lim || cb.box[2] > size + lim || cb.box[3] > size + lim) continue;
    if (visibleFraction(cb.pts, size) >= F.min_head_visible) return { scale: s, rotation_deg: r, centre: c, matrix: m };
  }
  const c = [size / 2, size / 2];
  return { scale: s, rotation_deg: r, centre: c, matrix: frameMatrix(s, r, c, size) };
}

function chooseLine(rng, widths) {
  const w = rng.pick(widths), u = rng.float(), keep = rng.range(V2.progressive_keep[0], V2.progressive_keep[1]);
  const seed = Math.floor(rng.float() * 2147483647);
  let acc = 0, kind = V2.line_styles[V2.line_styles.length - 1][0];
  for (const e of V2.line_styles) { acc += e[1]; if (u < acc) { kind = e[0]; break; } }
  const ls = { kind: kind, seed: seed };
  if (kind === 'progressive') ls.keep = Math.round(keep * 1e4) / 1e4;
  return { width: w, line_style: ls };
}

// Every choice of face i (v2).
function chooseFaceV2(ctx, i) {
  const faceSeed = ctx.seed + ':' + i;
  const h = sha256('sumi-face:' + faceSeed);
  const u = h.readUInt32BE(0) / 4294967296;
  let split = u < SETTINGS.split.train ? 'train' : u < SETTINGS.split.train + SETTINGS.split.val ? 'val' : 'test';
  const rs = makeRng(sha256('sumi-style:' + faceSeed));
  const style = ctx.styles[Math.floor(rs.float() * ctx.styles.length)];
  if (style === ctx.heldout) split = 'heldout';
  const opt = styleOptions(style, faceSeed, sha256('sumi-options:' + faceSeed));
  const frame = sampleFrame(makeRng(sha256('sumi-frame:' + faceSeed)), ctx.size, ctx.framing);
  const line = chooseLine(makeRng(sha256('sumi-line:' + faceSeed)), ctx.widths);
  return { index: i, faceSeed: faceSeed, split: split, style: style, options: opt.options, legacy: opt.legacy, frame: frame, line: line };
}

// Sketch line widths in viewBox units: [added stroke of ink fills, stroked
// and silhouette outlines], for a face whose viewBox unit is k * scale px.
export function sketchWidths(size, k, scale, width) {
  const px = size / 256, unit = k * scale;
  return [width * px / unit, (V2.base_line_px + width) * px / unit];
}

// Native viewBox units -> canonical px: uniform scale k, translation t.
export function normMatrix(n) { return [n.k, 0, n.tx, 0, n.k, n.ty]; }

// Part specs of a style for one required part: { comp, pick, clip }.
export function partSpec(S, part, meas) {
  const P = S.def.parts;
  if (part === 'left_eye' || part === 'right_eye') {
    const vb = meas.viewBox, big = 4 * Math.max(vb[2], vb[3]), sx = meas.eye_split_x;
    const clip = part === 'left_eye' ? [vb[0] - big, vb[1] - big, sx, vb[1] + big] : [sx, vb[1] - big, vb[0] + big, vb[1] + big];
    return { comp: P.eyes.comp, pick: P.eyes.pick, clip: P.eyes.clip ? intersect(clip, P.eyes.clip) : clip };
  }
  return P[part];
}
function intersect(a, b) { return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]; }

export function partSVGBody(toks, spec, pfx) {
  let b = ST.pruneBody(ST.opaqueParts(ST.partBody(toks, spec), spec.solid));
  if (spec.clip) {
    const c = spec.clip;
    b = '<clipPath id="clip"><rect x="' + c[0] + '" y="' + c[1] + '" width="' + (c[2] - c[0]) + '" height="' + (c[3] - c[1]) + '"/></clipPath>' +
      '<g clip-path="url(#clip)">' + b + '</g>';
  }
  return ST.prefixIds(b, pfx);
}

// A tile: `body` (viewBox units) drawn through matrix m (viewBox -> tile px).
export function tileV2(body, x, y, w, m, white) {
  return '<svg x="' + x + '" y="' + y + '" width="' + w + '" height="' + w + '">' + (white ? '<rect width="' + w + '" height="' + w + '" fill="#fff"/>' : '') +
    '<g transform="' + svgMatrix(m) + '" fill="none" shape-rendering="auto">' + body + '</g></svg>';
}

// Reference head box (viewBox units), eye split column and normalisation of
// every style (main process, once per run; independent of --size).
async function measureStyles(names, size) {
  const out = {};
  const R = V2.measure_px;
  for (const n of names) {
    const S = STY[n];
    const tiles = [], jobs = [];
    let vb = null;
    const M = Math.round(R / 4), T = R + 2 * M;
    const addTile = function (body, viewBox, kind, extra) {
      const k = R / viewBox[2], m = [k, 0, M - k * viewBox[0], 0, k, M - k * viewBox[1]];
      tiles.push(tileV2(body, (jobs.length % 8) * T, Math.floor(jobs.length / 8) * T, T, m, false));
      jobs.push({ kind: kind, extra: extra });
    };
    for (let j = 0; j < V2.measure_faces; j++) {
      const fs_ = 'sumi-norm:' + j;
      const o = styleOptions(n, fs_, sha256('sumi-options:' + fs_)).options;
      const f = styleSVG(S, o);
      vb = f.viewBox;
      const toks = ST.annotate(ST.tokenize(f.body));
      addTile(partSVGBody(toks, S.def.parts.head, 'h' + j + '-'), vb, 'head');
    }
    // Eye split: the widest empty column gap of the union of all eye variants.
    const eyesComp = S.def.parts.eyes.comp;
    let split = S.def.parts.eyes.split_x;
    if (split === undefined && n !== 'adventurer') {
      const props = S.style.schema.properties, vals = props[eyesComp] && props[eyesComp].items ? props[eyesComp].items.enum.slice().sort() : null;
      if (!vals) throw new Error('style ' + n + ': no eye variants to measure a split column; give parts.eyes.split_x');
      for (const v of vals) {
        const fs_ = 'sumi-norm:eyes';
        const o = styleOptions(n, fs_, sha256('sumi-options:' + fs_)).options;
        o[eyesComp] = [v];
        const f = styleSVG(S, o), toks = ST.annotate(ST.tokenize(f.body));
        addTile(partSVGBody(toks, S.def.parts.eyes, 'e-'), f.viewBox, 'eyes');
      }
    }
    const cols = Math.min(8, jobs.length);
    const img = decodePNG(await renderSVG(sheet(cols * T, Math.ceil(jobs.length / 8) * T, tiles, false)));
    const heads = [], occ = new Uint8Array(T);
    for (let j = 0; j < jobs.length; j++) {
      const x0 = (j % 8) * T, y0 = Math.floor(j / 8) * T;
      if (jobs[j].kind === 'head') {
        const b = alphaBox(img, x0, y0, T, T, SETTINGS.box_alpha_threshold);
        if (!b) throw new Error('style ' + n + ': empty head render');
        heads.push(b.map(function (v, q) { return (v - M) / R * vb[2] + vb[q % 2]; }));
      } else {
        const o2 = columnsOccupied(img, x0, y0, T, T, SETTINGS.box_alpha_threshold);
        for (let x = 0; x < T; x++) occ[x] |= o2[x];
      }
    }
    if (split === undefined && n === 'adventurer') split = 101 / 256 * 762; // v1's measured column
    else if (split === undefined) {
      const sx = splitColumn(occ);
      if (sx === null) throw new Error('style ' + n + ': the eye variants leave no empty column between the eyes');
      split = Math.round(((sx - M) / R * vb[2] + vb[0]) * 1000) / 1000;
    }
    const med = [0, 1, 2, 3].map(function (q) {
      const v = heads.map(function (b) { return b[q]; }).sort(function (a, b) { return a - b; });
      return Math.round(v[Math.floor(v.length / 2)] * 1000) / 1000;
    });
    out[n] = { viewBox: vb, head_ref: med, eye_split_x: split };
  }
  // Normalisation at this size.
  const ch = canonicalHead(size), cc = [(ch[0] + ch[2]) / 2, (ch[1] + ch[3]) / 2];
  for (const n of names) {
    const r = out[n];
    if (n === 'adventurer') { // the canonical frame is adventurer's own: viewBox scaled to size
      r.norm = { k: size / r.viewBox[2], tx: -size / r.viewBox[2] * r.viewBox[0], ty: -size / r.viewBox[2] * r.viewBox[1] };
    } else {
      const k = (ch[3] - ch[1]) / (r.head_ref[3] - r.head_ref[1]);
      const rc = [(r.head_ref[0] + r.head_ref[2]) / 2, (r.head_ref[1] + r.head_ref[3]) / 2];
      r.norm = { k: k, tx: cc[0] - k * rc[0], ty: cc[1] - k * rc[1] };
    }
  }
  return out;
}

function roundBox(b) { return b ? b.map(function (v) { return Math.round(v * 1000) / 1000; }) : null; }

// Canonical part boxes depend only on the part's geometry (its SVG with the
// colours blanked), so each worker measures each distinct part once.
const CANON_CACHE = new Map();
function geometryKey(style, part, body) {
  return sha256(style + '|' + part + '|' + body.replace(/ (fill|stroke|stop-color)="(?!none")[^"]*"/g, ' $1="C"')).toString('base64');
}

// Shelf-pack tiles of various sizes into rows at most `maxW` wide; returns the sheet height.
function packTiles(jobs, maxW) {
  let x = 0, y = 0, rowH = 0;
  const order = jobs.slice().sort(function (a, b) { return b.h - a.h || b.w - a.w; });
  for (const j of order) {
    if (x > 0 && x + j.w > maxW) { x = 0; y += rowH; rowH = 0; }
    j.x = x; j.y = y; x += j.w; rowH = Math.max(rowH, j.h);
  }
  return y + rowH;
}
function partTile(j, m) {
  return '<svg x="' + j.x + '" y="' + j.y + '" width="' + j.w + '" height="' + j.h + '"><g transform="' + svgMatrix(m) +
    '" fill="none" shape-rendering="auto">' + j.body + '</g></svg>';
}

// Render part tiles (each j: body, w, h, m = viewBox -> tile px, off = tile
// px -> canvas px offset) on one transparent sheet and measure their boxes.
async function measureTiles(jobs, what) {
  if (!jobs.length) return;
  const H = packTiles(jobs, 4096), W = Math.max.apply(null, jobs.map(function (j) { return j.x + j.w; }));
  const img = decodePNG(await renderSVG(sheet(W, H, jobs.map(function (j) { return partTile(j, j.m); }), false)));
  for (const j of jobs) {
    const b = alphaBox(img, j.x, j.y, j.w, j.h, SETTINGS.box_alpha_threshold);
    if (b && (b[0] === 0 || b[1] === 0 || b[2] === j.w || b[3] === j.h)) throw new Error(j.id + ': ' + j.part + ' reaches the edge of its ' + what + ' measuring tile');
    j.box = b ? [b[0] + j.off[0], b[1] + j.off[1], b[2] + j.off[0], b[3] + j.off[1]] : null;
  }
}

async function renderBatchV2(ctx, indices) {
  const size = ctx.size, n = indices.length, faces = [], tiles = [];
  const mc = Math.round(V2.margin_canonical * size), mf = Math.round(V2.margin_framed * size), Tc = size + 2 * mc, Tf = size + 2 * mf;
  for (let k = 0; k < n; k++) {
    const c = chooseFaceV2(ctx, indices[k]), S = STY[c.style], meas = ctx.measured[c.style];
    const f = styleSVG(S, c.options);
    const toks = ST.annotate(ST.tokenize(f.body));
    const N = normMatrix(meas.norm), A = compose(c.frame.matrix, N);
    const lw = sketchWidths(size, meas.norm.k, c.frame.scale, c.line.width), wFill = lw[0], wLine = lw[1];
    const colour = ST.prefixIds(ST.stripMarkers(f.body), 'c' + k + '-');
    const sketchB = ST.prefixIds(ST.sketchBody(toks, S.def.ink, wFill, wLine), 's' + k + '-');
    tiles.push(tileV2(colour, k * size, 0, size, A, true));
    tiles.push(tileV2(sketchB, k * size, size, size, A, true));
    const face = { choice: c, svg: f, A: A, N: N, id: idOf(c.index), parts: {}, bodies: {} };
    faces.push(face);
    for (const part of V2.required_parts) {
      const spec = partSpec(S, part, meas);
      if (!spec) continue;
      const body = partSVGBody(toks, spec, '');
      face.bodies[part] = { body: ST.prefixIds(body, 'p' + k + part + '-'), key: geometryKey(c.style, part, body) };
    }
  }
  const colourPNG = renderSVG(sheet(n * size, 2 * size, tiles, false));
  // 1. Canonical boxes: cached, else rendered whole (with a margin).
  const cjobs = [], seen = {};
  for (const F of faces) {
    for (const part of Object.keys(F.bodies)) {
      const B = F.bodies[part];
      if (CANON_CACHE.has(B.key) || seen[B.key]) continue;
      seen[B.key] = 1;
      cjobs.push({ id: F.id, part: part, key: B.key, body: B.body, w: Tc, h: Tc, m: compose([1, 0, mc, 0, 1, mc], F.N), off: [-mc, -mc] });
    }
  }
  await measureTiles(cjobs, 'canonical');
  for (const j of cjobs) CANON_CACHE.set(j.key, j.box);
  // 2. Framed boxes: each part rendered in a window around the transformed
  // canonical box (the framed part lies inside it; a pad covers anti-aliasing).
  const fjobs = [];
  for (const F of faces) {
    const M = F.choice.frame.matrix, pad = 4 + Math.ceil(2 * F.choice.frame.scale * size / 256);
    for (const part of Object.keys(F.bodies)) {
      const bc = CANON_CACHE.get(F.bodies[part].key);
      F.parts['canonical:' + part] = bc ? bc.slice() : null;
      if (!bc) { F.parts['framed:' + part] = null; continue; }
      const cb = cornersBox(M, bc).box;
      const x0 = Math.floor(cb[0]) - pad, y0 = Math.floor(cb[1]) - pad, x1 = Math.ceil(cb[2]) + pad, y1 = Math.ceil(cb[3]) + pad;
      fjobs.push({ face: F, id: F.id, part: part, body: F.bodies[part].body, w: x1 - x0, h: y1 - y0, m: compose([1, 0, -x0, 0, 1, -y0], F.A), off: [x0, y0] });
    }
  }
  await measureTiles(fjobs, 'framed');
  for (const j of fjobs) j.face.parts['framed:' + j.part] = j.box;
  if (ctx.verifyBoxes) {
    // Re-measure every part uncached, on whole (size + margin) tiles.
    const vjobs = [];
    for (const F of faces) {
      for (const part of Object.keys(F.bodies)) {
        vjobs.push({ face: F, id: F.id, part: part, frame: 'canonical', body: F.bodies[part].body, w: Tc, h: Tc, m: compose([1, 0, mc, 0, 1, mc], F.N), off: [-mc, -mc] });
        vjobs.push({ face: F, id: F.id, part: part, frame: 'framed', body: F.bodies[part].body, w: Tf, h: Tf, m: compose([1, 0, mf, 0, 1, mf], F.A), off: [-mf, -mf] });
      }
    }
    await measureTiles(vjobs, 'verification');
    for (const j of vjobs) {
      const got = j.face.parts[j.frame + ':' + j.part];
      if (JSON.stringify(got) !== JSON.stringify(j.box)) throw new Error('face ' + j.id + ': ' + j.frame + ' ' + j.part + ' box ' + JSON.stringify(got) + ' != whole-tile render ' + JSON.stringify(j.box));
    }
  }
  const img = decodePNG(await colourPNG);
  for (let k = 0; k < n; k++) {
    const F = faces[k], c = F.choice, id = idOf(c.index), S = STY[c.style];
    const dir = path.join(ctx.out, 'faces', id);
    const bc = {}, bf = {};
    for (const p of V2.required_parts) { bc[p] = F.parts['canonical:' + p] || null; bf[p] = F.parts['framed:' + p] || null; }
    if (!S.def.parts.nose) {
      bc.nose = noseBox(bc.left_eye, bc.right_eye, bc.mouth);
      if (bc.nose) { const cb = cornersBox(c.frame.matrix, bc.nose).box; bf.nose = [Math.floor(cb[0]), Math.floor(cb[1]), Math.ceil(cb[2]), Math.ceil(cb[3])]; }
    }
    bc.eyes = unionBox(unionBox(null, bc.left_eye), bc.right_eye);
    bf.eyes = unionBox(unionBox(null, bf.left_eye), bf.right_eye);
    for (const p of ['head', 'left_eye', 'right_eye', 'mouth']) if (!bf[p]) throw new Error('face ' + id + ' (' + c.style + '): no ' + p + ' drawn');
    const points = {};
    for (const p of V2.required_parts) points[p] = bc[p] ? apply(c.frame.matrix, centre(bc[p])).map(function (v) { return Math.round(v * 1000) / 1000; }) : null;
    mkdirp(dir);
    writeAtomic(path.join(dir, 'color.png'), encodePNG(size, size, 3, cropTile(img, k * size, 0, size, size, 3)));
    writeAtomic(path.join(dir, 'sketch.png'), encodePNG(size, size, 1, cropTile(img, k * size, size, size, size, 1)));
    const files = { color: 'faces/' + id + '/color.png', sketch: 'faces/' + id + '/sketch.png' };
    if (ctx.keepSvg) {
      // The framed face with its part markers (comments; they draw nothing).
      const full = '<svg xmlns="http://www.w3.org/2000/svg" width="' + size + '" height="' + size + '" viewBox="0 0 ' + size + ' ' + size + '">' +
        '<rect width="' + size + '" height="' + size + '" fill="#fff"/><g transform="' + svgMatrix(F.A) + '" fill="none" shape-rendering="auto">' + ST.prefixIds(F.svg.body, 'c0-') + '</g></svg>';
      writeAtomic(path.join(dir, 'face.svg'), full);
      files.svg = 'faces/' + id + '/face.svg';
    }
    let options, skin, hair;
    if (c.legacy) {
      options = {};
      const drawn = {};
      for (let j = 0; j < PARTS.length; j++) drawn[PARTS[j]] = F.svg.extra[PARTS[j]] || null;
      for (let j = 1; j < PARTS.length; j++) options[PARTS[j]] = drawn[PARTS[j]];
      skin = '#' + c.legacy.skin_color; hair = drawn.hair ? '#' + c.legacy.hair_color : null;
    } else {
      options = {};
      const props = S.style.schema.properties;
      for (const key of Object.keys(props).sort()) {
        if (props[key].type === 'array' && props[key].items && props[key].items.enum) options[key] = F.svg.extra[key] || null;
      }
      skin = c.options.skinColor ? '#' + c.options.skinColor[0] : null;
      hair = c.options.hairColor ? '#' + c.options.hairColor[0] : null;
    }
    const m = c.frame.matrix;
    const rec = {
      id: id, index: c.index, seed: c.faceSeed, split: c.split, size: size,
      style: c.style,
      options: options,
      skin_color: skin,
      hair_color: hair,
      files: files,
      boxes: bf,
      boxes_canonical: bc,
      points: points,
      frame: { matrix: [[m[0], m[1], m[2]], [m[3], m[4], m[5]]], scale: c.frame.scale, rotation_deg: c.frame.rotation_deg, centre: c.frame.centre },
      line_width: c.line.width,
      line_style: c.line.line_style,
    };
    writeAtomic(path.join(dir, 'face.json'), JSON.stringify(rec) + '\n');
  }
}

// ---------------------------------------------------------------------------
// Main process
// ---------------------------------------------------------------------------
const USAGE = 'usage: node models/data/generate.mjs --out DIR --count N [--size 256] [--jobs ' +
  'NCPU] [--seed S] [--batch 16] [--keep-svg] [--verify-boxes]\n' +
  '       [--styles all|adventurer,toon-head,...] [--framing random|none] [--widths 0,1,2,3] [--heldout STYLE|none]';

function parseArgs(argv) {
  const a = { size: '256', jobs: String(defaultJobs()), seed: '1', batch: '16', keepSvg: false, verifyBoxes: false };
  for (let k = 0; k < argv.length; k++) {
    const s = argv[k];
    const take = function () {
      if (k + 1 >= argv.length) die(s + ' needs a value\n' + USAGE);
      return argv[++k];
    };
    if (s === '--out') a.out = take();
    else if (s === '--count') a.count = take();
    else if (s === '--size') a.size = take();
    else if (s === '--jobs') a.jobs = take();
    else if (s === '--seed') a.seed = take();
    else if (s === '--batch') a.batch = take();
    else if (s === '--styles') a.styles = take();
    else if (s === '--framing') a.framing = take();
    else if (s === '--widths') a.widths = take();
    else if (s === '--heldout') a.heldout = take();
    else if (s === '--keep-svg') a.keepSvg = true;
    else if (s === '--verify-boxes') a.verifyBoxes = true;
    else if (s === '-h' || s === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else die('unknown argument ' + JSON.stringify(s) + '\n' + USAGE);
  }
  if (a.out === undefined) die('--out DIR is required\n' + USAGE);
  if (a.count === undefined) die('--count N is required\n' + USAGE);
  function posInt(name, v, max) {
    if (!/^[0-9]+$/.test(String(v).trim()) || parseInt(v, 10) <= 0) die(name + ' must be a whole number > 0 (got ' + JSON.stringify(v) + ')');
    const n = parseInt(v, 10);
    if (max && n > max) die(name + ' must be at most ' + max + ' (got ' + n + ')');
    return n;
  }
  a.count = posInt('--count', a.count, 10000000);
  a.size = posInt('--size', a.size, 4096);
  if (a.size < 16) die('--size must be at least 16');
  a.jobs = posInt('--jobs', a.jobs, 256);
  a.batch = posInt('--batch', a.batch, 256);
  if (!a.seed.length || a.seed.length > 200) die('--seed must be 1 to 200 characters');
  // v2 (multi-style) output when any of the new options is given.
  a.v2 = a.styles !== undefined || a.framing !== undefined || a.widths !== undefined || a.heldout !== undefined;
  if (a.v2) {
    const st = a.styles === undefined || a.styles === 'all' ? ST.ALL_STYLES.slice() : a.styles.split(',').map(function (s) { return s.trim(); });
    for (const s of st) if (!ST.STYLE_DEFS[s]) die('--styles: unknown style ' + JSON.stringify(s) + ' (known: ' + ST.ALL_STYLES.join(', ') + ')');
    if (!st.length || new Set(st).size !== st.length) die('--styles must list each style once');
    a.styles = st;
    a.framing = a.framing === undefined ? 'random' : a.framing;
    if (a.framing !== 'random' && a.framing !== 'none') die('--framing must be random or none (got ' + JSON.stringify(a.framing) + ')');
    const ws = (a.widths === undefined ? V2.widths.join(',') : a.widths).split(',').map(function (v) { return v.trim(); });
    for (const w of ws) if (!/^[0-9]+(\.[0-9]+)?$/.test(w) || parseFloat(w) > 20) die('--widths must be numbers 0..20 separated by commas (got ' + JSON.stringify(a.widths) + ')');
    a.widths = ws.map(Number);
    if (a.heldout === undefined) a.heldout = st.indexOf(V2.heldout_default) >= 0 ? V2.heldout_default : 'none';
    if (a.heldout !== 'none' && st.indexOf(a.heldout) < 0) die('--heldout ' + JSON.stringify(a.heldout) + ' is not one of --styles');
  }
  return a;
}

function defaultJobs() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function checkOutDir(dir) {
  try {
    mkdirp(path.join(dir, 'faces'));
    const probe = path.join(dir, '.write-test-' + process.pid);
    fs.writeFileSync(probe, 'ok');
    fs.unlinkSync(probe);
  } catch (e) {
    die('output folder ' + dir + ' is not writable (' + (e.code || e.message) + ')');
  }
}

function fmtTime(s) {
  if (!isFinite(s)) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
  return (h ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(ss).padStart(2, '0');
}

function makeProgress(total, skipped) {
  const tty = process.stderr.isTTY, t0 = Date.now();
  let last = 0, lastPlain = t0;
  return {
    update: function (done, failed, force) {
      const now = Date.now();
      const el = (now - t0) / 1000, rate = done > 0 ? done / el : 0, left = total - skipped - done - failed;
      const eta = rate > 0 ? left / rate : Infinity, all = skipped + done + failed;
      const txt = all + '/' + (total) + ' faces  ' + rate.toFixed(1) + ' faces/s  ETA ' + fmtTime(eta) +
        (failed ? '  failed ' + failed : '') + (skipped ? '  (skipped ' + skipped + ')' : '');
      if (tty) {
        if (!force && now - last < 150) return;
        last = now;
        const width = 30, fill = Math.round(width * all / total);
        process.stderr.write('\r[' + '#'.repeat(fill) + '.'.repeat(width - fill) + '] ' + txt + '\x1b[K');
      } else if (force || now - lastPlain >= 10000) {
        lastPlain = now;
        process.stderr.write('progress: ' + txt + '\n');
      }
    },
    end: function () { if (tty) process.stderr.write('\n'); },
  };
}

// DeepFaceDrawing-style windows: the padded union of a component's boxes over
// the train split, made square around the union's centre, integer, and moved
// (not cropped) to lie inside the canvas.
export function squareWindow(u, size, pad) {
  const x0 = u[0] - pad, y0 = u[1] - pad, x1 = u[2] + pad, y1 = u[3] + pad;
  const side = Math.min(size, Math.ceil(Math.max(x1 - x0, y1 - y0)));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const x = Math.max(0, Math.min(size - side, Math.round(cx - side / 2)));
  const y = Math.max(0, Math.min(size - side, Math.round(cy - side / 2)));
  return [x, y, side];
}

function unionBox(u, b) {
  if (!b) return u;
  return u ? [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])] : b.slice();
}

// The limit of the train-split windows for a large data set: the same rule
// applied to every eye variant, every mouth variant and every (eyes, mouth)
// pair's nose box. Independent of the sample, so also defined for tiny runs.
function allVariantWindows(measured, size) {
  const T = measured.table, u = { left_eye: null, right_eye: null, nose: null, mouth: null };
  const ev = Object.keys(T.eyes), mv = Object.keys(T.mouth);
  for (let a = 0; a < ev.length; a++) {
    const e = T.eyes[ev[a]];
    u.left_eye = unionBox(u.left_eye, e.left); u.right_eye = unionBox(u.right_eye, e.right);
    for (let b = 0; b < mv.length; b++) u.nose = unionBox(u.nose, noseBox(e.left, e.right, T.mouth[mv[b]].box));
  }
  for (let b = 0; b < mv.length; b++) u.mouth = unionBox(u.mouth, T.mouth[mv[b]].box);
  const pad = Math.round(SETTINGS.window_pad * size), w = {};
  for (const k of Object.keys(u)) w[k] = squareWindow(u[k], size, pad);
  w.remainder = [0, 0, size];
  return { union_boxes: u, windows: w };
}

function scaleWindows(windows, size) {
  const out = {};
  for (const c of Object.keys(windows)) {
    out[c] = windows[c] ? windows[c].map(function (v) { return Math.round(v * 512 / size); }) : null;
  }
  return out;
}

function calibrate(records, size) {
  const comps = ['left_eye', 'right_eye', 'nose', 'mouth'], unions = {};
  for (let k = 0; k < comps.length; k++) unions[comps[k]] = null;
  let n = 0;
  for (let r = 0; r < records.length; r++) {
    if (records[r].split !== 'train') continue;
    n++;
    for (let k = 0; k < comps.length; k++) {
      unions[comps[k]] = unionBox(unions[comps[k]], records[r].boxes[comps[k]]);
    }
  }
  const pad = Math.round(SETTINGS.window_pad * size), windows = {};
  for (let k = 0; k < comps.length; k++) {
    windows[comps[k]] = unions[comps[k]] ? squareWindow(unions[comps[k]], size, pad) : null;
  }
  windows.remainder = [0, 0, size];
  return { train_faces: n, pad_px: pad, union_boxes: unions, windows: windows, windows_512: scaleWindows(windows, size) };
}

function styleDefs(names) {
  const o = {};
  for (const n of names) o[n] = ST.STYLE_DEFS[n];
  return o;
}

function datasetV2(args, records, measured, counts, rsvg) {
  const perStyle = {};
  for (const n of args.styles) perStyle[n] = 0;
  for (const r of records) perStyle[r.style]++;
  // Component windows in the canonical frame (boxes_canonical of the train split).
  const cal = calibrate(records.map(function (r) { return { split: r.split, boxes: r.boxes_canonical }; }), args.size);
  const styles = {};
  for (const n of args.styles) {
    const S = STY[n], m = measured[n];
    styles[n] = {
      package: ST.STYLE_DEFS[n].pkg, version: S.version,
      title: S.meta.title, creator: S.meta.creator, source: S.meta.source, license: S.meta.license,
      viewBox: m.viewBox, head_ref: m.head_ref, eye_split_x: m.eye_split_x,
      normalisation: { rule: V2.normalisation_rule, scale: m.norm.k, translate: [m.norm.tx, m.norm.ty],
        matrix: [[m.norm.k, 0, m.norm.tx], [0, m.norm.k, m.norm.ty]] },
      faces: perStyle[n],
      split: n === args.heldout ? 'heldout' : 'train/val/test',
    };
  }
  return {
    name: 'sumi-multistyle-faces',
    generator: 'models/data/generate.mjs',
    generator_version: GENERATOR_VERSION_V2,
    dicebear_core: DB.version,
    rsvg_convert_version: rsvg,
    command: 'node models/data/generate.mjs --out DIR --count ' + args.count + ' --size ' + args.size + ' --seed ' + args.seed +
      ' --styles ' + args.styles.join(',') + ' --framing ' + args.framing + ' --widths ' + args.widths.join(',') + ' --heldout ' + args.heldout,
    size: args.size,
    count: args.count,
    seed: args.seed,
    styles: args.styles,
    heldout_style: args.heldout,
    framing: args.framing,
    widths: args.widths,
    split_counts: counts,
    style_counts: perStyle,
    canonical_head_box: canonicalHead(args.size),
    box_format: '[x0, y0, x1, y1] in pixels of the size x size canvas, x1/y1 exclusive; boxes may extend past the canvas',
    frame_format: 'matrix [[a, b, tx], [c, d, ty]] maps canonical-frame px (x, y) to canvas px: x\' = a x + b y + tx, y\' = c x + d y + ty',
    window_format: '[x, y, side] square, in pixels of the canonical frame',
    style_info: styles,
    windows_canonical: cal.windows,
    calibration: { split: 'train', frame: 'canonical', faces: cal.train_faces, pad_px: cal.pad_px, union_boxes: cal.union_boxes },
    settings: { generation: SETTINGS, v2: V2, choice: ST.CHOICE_SETTINGS, style_defs: styleDefs(args.styles) },
  };
}

async function main() {
  const major = parseInt(process.versions.node.split('.')[0], 10);
  if (major < MIN_NODE_MAJOR) die('Node.js >= ' + MIN_NODE_MAJOR + ' is required (this is ' + process.version + ')');
  if (process.argv[2] === '--worker') return workerMain();

  const args = parseArgs(process.argv.slice(2));
  await loadDiceBear();
  const rsvg = rsvgVersion();
  if (!rsvg) die('rsvg-convert not found on PATH; install it with: apt-get install librsvg2-bin');
  const out = path.resolve(args.out);
  checkOutDir(out);
  if (args.v2) await loadStyles(args.styles);

  const settings = {
    generator_version: GENERATOR_VERSION,
    dicebear_version: DB.version,
    rsvg_convert_version: rsvg,
    size: args.size,
    seed: args.seed,
    generation: SETTINGS,
  };
  if (args.v2) {
    settings.generator_version = GENERATOR_VERSION_V2;
    settings.v2 = { styles: args.styles, heldout: args.heldout, framing: args.framing, widths: args.widths, settings: V2, style_defs: styleDefs(args.styles) };
  }
  // Resuming is only allowed with the same settings (count and jobs may differ).
  const runFile = path.join(out, 'run.json');
  if (fs.existsSync(runFile)) {
    let prev = null;
    try { prev = JSON.parse(fs.readFileSync(runFile, 'utf8')); } catch (e) { /* rewritten below */ }
    if (prev && JSON.stringify(prev) !== JSON.stringify(settings)) {
      die(out + ' holds faces made with different settings (see its run.json: size/seed/versions); use a new --out folder');
    }
  }
  writeAtomic(runFile, JSON.stringify(settings, null, 2) + '\n');

  const t0 = Date.now();
  let measured;
  try {
    measured = args.v2 ? await measureStyles(args.styles, args.size) : await measureParts(args.size, SETTINGS.box_alpha_threshold, args.jobs);
  } catch (e) { die('measuring the styles failed: ' + String(e.message).split('\n')[0], 1); }
  const pending = [];
  let skipped = 0;
  for (let i = 0; i < args.count; i++) {
    if (fs.existsSync(path.join(out, 'faces', idOf(i), 'face.json'))) skipped++;
    else pending.push(i);
  }
  const ctx = { out: out, size: args.size, seed: args.seed, measured: measured, keepSvg: args.keepSvg, verifyBoxes: args.verifyBoxes };
  if (args.v2) { ctx.v2 = true; ctx.styles = args.styles; ctx.heldout = args.heldout; ctx.framing = args.framing; ctx.widths = args.widths; }
  const batches = [];
  const batch = sheetColumns(args.size, args.batch);
  for (let k = 0; k < pending.length; k += batch) batches.push(pending.slice(k, k + batch));
  process.stderr.write('generating ' + pending.length + ' of ' + args.count + ' faces (' + skipped + ' already done) at ' +
    args.size + ' px into ' + out + (pending.length ? ' with ' + Math.min(args.jobs, batches.length) + ' worker(s)' : '') + '\n');
  let done = 0, failed = [];
  const progress = makeProgress(args.count, skipped);
  if (batches.length) {
    progress.update(0, 0, true);
    await new Promise(function (resolve) {
      const nWorkers = Math.min(args.jobs, batches.length);
      let next = 0, alive = nWorkers;
      for (let w = 0; w < nWorkers; w++) {
        const child = fork(SCRIPT, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let current = null;
        const feed = function () {
          if (next < batches.length) { current = batches[next++]; child.send({ type: 'batch', indices: current }); }
          else { current = null; child.send({ type: 'stop' }); }
        };
        child.on('message', function (msg) {
          if (msg.type === 'ready') { child.send({ type: 'init', ctx: ctx }); feed(); return; }
          if (msg.type === 'done') {
            failed = failed.concat(msg.failed);
            done += msg.indices.length - msg.failed.length;
            progress.update(done, failed.length, false);
            feed();
          }
        });
        child.on('exit', function (code) {
          if (current) { // the worker died in the middle of a batch
            for (let k = 0; k < current.length; k++) failed.push({ index: current[k], error: 'worker exited with ' + code });
            current = null;
          }
          if (--alive === 0) resolve();
        });
      }
    });
    progress.update(done, failed.length, true);
    progress.end();
  }

  // Manifest: face.json of faces 0..N-1 in index order.
  const records = [];
  const missing = [];
  for (let i = 0; i < args.count; i++) {
    const f = path.join(out, 'faces', idOf(i), 'face.json');
    if (fs.existsSync(f)) records.push(JSON.parse(fs.readFileSync(f, 'utf8')));
    else missing.push(i);
  }
  writeAtomic(path.join(out, 'manifest.jsonl'), records.map(function (r) { return JSON.stringify(r); }).join('\n') + (records.length ? '\n' : ''));
  const wall = (Date.now() - t0) / 1000;
  if (failed.length || missing.length) {
    failed.sort(function (a, b) { return a.index - b.index; });
    for (let k = 0; k < Math.min(5, failed.length); k++) process.stderr.write('failed face ' + idOf(failed[k].index) + ': ' + failed[k].error + '\n');
  }
  const counts = args.v2 ? { train: 0, val: 0, test: 0, heldout: 0 } : { train: 0, val: 0, test: 0 };
  for (let r = 0; r < records.length; r++) counts[records[r].split]++;
  if (!missing.length && args.v2) {
    writeAtomic(path.join(out, 'dataset.json'), JSON.stringify(datasetV2(args, records, measured, counts, rsvg), null, 2) + '\n');
  } else if (!missing.length) {
    const cal = calibrate(records, args.size), allv = allVariantWindows(measured, args.size);
    const dataset = {
      name: 'sumi-adventurer-faces',
      generator: 'models/data/generate.mjs',
      generator_version: GENERATOR_VERSION,
      dicebear: { core: DB.version, adventurer: DB.styleVersion, style: 'adventurer', license: 'CC BY 4.0 (art, Lisa Wischofsky); MIT (code)' },
      rsvg_convert_version: rsvg,
      command: 'node models/data/generate.mjs --out DIR --count ' + args.count + ' --size ' + args.size + ' --seed ' + args.seed,
      size: args.size,
      count: args.count,
      seed: args.seed,
      split_counts: counts,
      box_format: '[x0, y0, x1, y1] in pixels of the size x size canvas, x1/y1 exclusive',
      window_format: '[x, y, side] square, in pixels of the size x size canvas',
      eye_split_x: measured.split_x,
      windows: cal.windows,
      windows_512: cal.windows_512,
      calibration: { split: 'train', faces: cal.train_faces, pad_px: cal.pad_px, union_boxes: cal.union_boxes },
      windows_all_variants: allv.windows,
      windows_all_variants_512: scaleWindows(allv.windows, args.size),
      all_variants_union_boxes: allv.union_boxes,
      design_windows_512: { left_eye: [108, 156, 128], right_eye: [255, 156, 128], nose: [182, 232, 160], mouth: [169, 301, 192], remainder: [0, 0, 512] },
      settings: SETTINGS,
      part_variants: (function () { const o = {}; for (let k = 0; k < PARTS.length; k++) o[PARTS[k]] = variants(PARTS[k]); return o; })(),
    };
    writeAtomic(path.join(out, 'dataset.json'), JSON.stringify(dataset, null, 2) + '\n');
  }
  const gen = done;
  process.stderr.write('summary: generated ' + gen + ', skipped ' + skipped + ', failed ' + failed.length + ', wall ' + wall.toFixed(1) +
    ' s, ' + (gen / wall).toFixed(2) + ' faces/s; splits train ' + counts.train + ' / val ' + counts.val + ' / test ' + counts.test +
    (args.v2 ? ' / heldout ' + counts.heldout : '') + '\n');
  if (missing.length) {
    try { fs.unlinkSync(path.join(out, 'dataset.json')); } catch (e) { /* none from an earlier run */ }
    process.stderr.write('generate.mjs: error: ' + missing.length + ' face(s) missing; dataset.json not written. Re-run the same command to retry them.\n');
    process.exit(1);
  }
  process.stdout.write(path.join(out, 'manifest.jsonl') + '\n' + path.join(out, 'dataset.json') + '\n');
}

function invokedDirectly() {
  try { return fs.realpathSync(process.argv[1]) === fs.realpathSync(SCRIPT); } catch (e) { return false; }
}

if (invokedDirectly()) main().catch(function (e) { die(e && e.stack ? e.stack : String(e), 1); });
