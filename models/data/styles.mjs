// Multi-style support for the training-data generator (issue 17).
//
// Per DiceBear style: how to choose a face, which SVG elements are which part
// (read from the style's own component structure), what the outline ink is,
// and the SVG tools that make colour, sketch and part-only bodies from one
// DiceBear SVG. See models/data/README.md, "Styles" and "Framing".
//
// Every DiceBear component variant function is wrapped so that its output is
// enclosed in <!--s:NAME--> ... <!--/s:NAME--> comments. Comments do not
// change what rsvg-convert draws; they let us cut a face's SVG into parts
// exactly as the style composes it (nested components included).

import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';

// ---------------------------------------------------------------------------
// Style table.
//
//   pkg            npm package (pinned at 9.4.3 in package.json)
//   parts          how each required part is found in the SVG:
//                    comp: component name whose own elements (innermost
//                          marker) make the part; 'base' = elements outside
//                          every component (the style's inline drawing)
//                    pick: indices of the top-level elements inside the
//                          component to keep (default: all)
//                    clip: [x0, y0, x1, y1] in the style's viewBox units;
//                          the part is what lies inside
//                    solid: measure faint shapes too (a shading-only part)
//                  eyes are one group in every style taken: left/right are
//                  split at a column (measured like adventurer's) or at
//                  `eye_split` (viewBox units) when given.
//                  nose: null = the style draws none; derived (noseBox).
//   ink            sketch rule: fills: colours (lower case) that are outline
//                  ink; strokes: dark strokes are ink; silhouette: every
//                  other opaque fill gets a black outline stroke (styles
//                  drawn without outlines); faint_outline: components whose
//                  faint (opacity < 0.5) shapes are outlined, not hidden.
//   fixed          options forced (e.g. no background)
//   probabilities  *Probability options (percent of faces with the part)
//   exclude        option values never chosen
// ---------------------------------------------------------------------------
export const STYLE_DEFS = {
  adventurer: {
    pkg: '@dicebear/adventurer',
    parts: { head: { comp: 'base' }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: null },
    ink: { fills: ['#000'], strokes: false, silhouette: false },
    probabilities: { hair: 95, glasses: 20, earrings: 25, features: 20 },
  },
  'toon-head': {
    pkg: '@dicebear/toon-head',
    // The head component is the head with ears (stroked, element 0) plus a
    // faint shading path (ears and jaw); no nose is drawn.
    parts: { head: { comp: 'head', pick: [0] }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: null },
    // Outlines are black strokes; pupils, brows and closed-mouth lines dark
    // fills; the open mouths have no outline, so they are outlined.
    ink: { fills: ['black', '#000', '#4b2422', '#3f2626'], strokes: true, silhouette: ['mouth'] },
    probabilities: { rearHair: 50, beard: 40, hair: 90 },
  },
  personas: {
    pkg: '@dicebear/personas',
    // The skin path (element 0 of the inline drawing) is head, ears and
    // neck; the head is the part above the chin (y < 47 of 64).
    parts: { head: { comp: 'base', pick: [0], clip: [0, 0, 64, 47] }, eyes: { comp: 'eyes', split_x: 32 }, mouth: { comp: 'mouth' }, nose: { comp: 'nose' } },
    ink: { fills: ['#000', '#1b0640'], strokes: true, silhouette: true, faint_outline: ['nose'] },
    probabilities: { facialHair: 15 },
  },
  'big-smile': {
    pkg: '@dicebear/big-smile',
    parts: { head: { comp: 'face' }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: null },
    ink: { fills: ['#000', '#2a1200'], strokes: true, silhouette: true },
    probabilities: { accessories: 25 },
  },
  miniavs: {
    pkg: '@dicebear/miniavs',
    // The head path runs on into the neck; the head is the part above the
    // chin (y < 56 of 64).
    parts: { head: { comp: 'head', pick: [0], clip: [0, 0, 64, 56] }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: null },
    // (#1b0b47, the colour of one eye variant, is also a hair colour: not ink.)
    ink: { fills: ['#000'], strokes: true, silhouette: true },
    probabilities: { blushes: 50, glasses: 20, mustache: 15 },
  },
  dylan: {
    pkg: '@dicebear/dylan',
    // The inline drawing is the skin path (head with ears, element 0) and
    // one black path with the ear lines and the two eye strokes (element 1):
    // the eyes are that path inside the eye rectangle, split at x = 41.
    // The mood component draws the mouth and, for two moods, eyebrows (all
    // above y = 32); the mouth is the mood below y = 34.
    parts: { head: { comp: 'base', pick: [0] }, eyes: { comp: 'base', pick: [1], clip: [24, 30, 58, 46], split_x: 41 }, mouth: { comp: 'mood', clip: [0, 34, 80, 80] }, nose: null },
    // Black lines (eyes, ears, mouth, beard: fill "black") are ink; the head
    // and hair are flat colour, so they are outlined (hair colour #000000 is
    // a palette colour, not ink).
    ink: { fills: ['black'], strokes: true, silhouette: true },
    probabilities: { facialHair: 20 },
  },
  'big-ears': {
    pkg: '@dicebear/big-ears',
    // One component per part; the head is the face shape (the two ears are
    // separate components and are not part of the head box).
    // Half of the noses are one faint shape (20 % black): measured solid,
    // and outlined in the sketch (the others are 50 % black strokes: ink).
    parts: { head: { comp: 'face' }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: { comp: 'nose', solid: true } },
    ink: { fills: ['#000', '#161616'], strokes: true, silhouette: true, faint_outline: ['nose'] },
    probabilities: { cheek: 40 },
  },
  avataaars: {
    pkg: '@dicebear/avataaars',
    // The base component's skin path (element 0) is head, ears, neck and
    // shoulders; the head is the part above the chin (y < 180 of 280).
    // The nose is one faint shape (16 % black): measured solid, and outlined
    // in the sketch.
    parts: { head: { comp: 'base', pick: [0], clip: [-1000, -1000, 1000, 180] }, eyes: { comp: 'eyes' }, mouth: { comp: 'mouth' }, nose: { comp: 'nose', solid: true } },
    ink: { fills: ['#000'], strokes: true, silhouette: true, faint_outline: ['nose'] },
    exclude: { style: ['circle'] },
    probabilities: { accessories: 15, facialHair: 15, top: 90 },
  },
};

export const ALL_STYLES = Object.keys(STYLE_DEFS);

// ---------------------------------------------------------------------------
// Loading and instrumenting the styles.
// ---------------------------------------------------------------------------
export async function loadStyle(scriptDir, name) {
  const def = STYLE_DEFS[name];
  if (!def) throw new Error('unknown style ' + JSON.stringify(name));
  const pkgDir = path.join(scriptDir, 'node_modules', def.pkg);
  const style = await import(pathToFileURL(path.join(pkgDir, 'lib', 'index.js')).href);
  const comps = await import(pathToFileURL(path.join(pkgDir, 'lib', 'components', 'index.js')).href);
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const license = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8');
  for (const group of Object.keys(comps)) {
    const obj = comps[group];
    if (!obj || typeof obj !== 'object' || obj.__sumiMarked) continue;
    for (const key of Object.keys(obj)) {
      const f = obj[key];
      if (typeof f !== 'function') continue;
      obj[key] = function (c, col) { return '<!--s:' + group + '-->' + f(c, col) + '<!--/s:' + group + '-->'; };
    }
    Object.defineProperty(obj, '__sumiMarked', { value: true });
  }
  return { name: name, def: def, style: style, version: version, meta: style.meta, license: license };
}

// ---------------------------------------------------------------------------
// Choosing a face's options from the style's schema.
// ---------------------------------------------------------------------------
export function hex2(v) { return Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0'); }
// Colour helpers, shared with generate.mjs (its adventurer faces use them too).
export function blendHex(h1, h2, t) {
  let out = '';
  for (let k = 0; k < 3; k++) {
    const x = parseInt(h1.substr(2 * k, 2), 16), y = parseInt(h2.substr(2 * k, 2), 16);
    out += hex2(x + (y - x) * t);
  }
  return out;
}
export function hslHex(h, s, l) {
  const c = (1 - Math.abs(2 * l - 1)) * s, hp = h / 60, x = c * (1 - Math.abs((hp % 2) - 1));
  let r = 0, g = 0, b = 0;
  if (hp < 1) { r = c; g = x; } else if (hp < 2) { r = x; g = c; } else if (hp < 3) { g = c; b = x; }
  else if (hp < 4) { g = x; b = c; } else if (hp < 5) { r = x; b = c; } else { r = c; b = x; }
  const m = l - c / 2;
  return hex2((r + m) * 255) + hex2((g + m) * 255) + hex2((b + m) * 255);
}

export const CHOICE_SETTINGS = {
  skin_blend: 0.15,          // skin: a blend of two neighbouring palette colours
  color_random: 0.20,        // other colours: a random HSL colour instead of the palette
  random_hsl: { s: [0.25, 0.90], l: [0.15, 0.75] },
};

// Options (DiceBear) of one face: every enum part picked uniformly, every
// *Probability part on/off, every colour from its palette (or blended /
// random). The same number of random values is drawn whatever the outcome.
export function chooseOptions(S, rng) {
  const props = S.style.schema.properties, def = S.def, opts = {}, drawn = {};
  const keys = Object.keys(props).sort();
  for (const k of keys) {
    const p = props[k];
    if (k === 'backgroundColor') continue;
    if (p.type === 'array' && p.items && p.items.enum) {
      let vals = p.items.enum.slice().sort();
      if (def.exclude && def.exclude[k]) vals = vals.filter(function (v) { return def.exclude[k].indexOf(v) < 0; });
      const v = rng.pick(vals);
      const probKey = k + 'Probability';
      if (props[probKey]) {
        const pr = def.probabilities && def.probabilities[k] !== undefined ? def.probabilities[k] : props[probKey].default;
        const on = rng.float() * 100 < pr;
        opts[k] = [v]; opts[probKey] = on ? 100 : 0;
        drawn[k] = on ? v : null;
      } else { opts[k] = [v]; drawn[k] = v; }
    }
  }
  for (const k of keys) {
    const p = props[k];
    if (k === 'backgroundColor' || !/Color$/.test(k) || !Array.isArray(p.default) || !p.default.length) continue;
    const pal = p.default.slice();
    const a = rng.pick(pal), u1 = rng.float(), j = Math.floor(rng.float() * Math.max(1, pal.length - 1)), t = rng.float();
    const hh = rng.range(0, 360), hs = rng.range(CHOICE_SETTINGS.random_hsl.s[0], CHOICE_SETTINGS.random_hsl.s[1]);
    const hl = rng.range(CHOICE_SETTINGS.random_hsl.l[0], CHOICE_SETTINGS.random_hsl.l[1]);
    let c = a;
    if (k === 'skinColor') { if (u1 < CHOICE_SETTINGS.skin_blend && pal.length > 1) c = blendHex(pal[j], pal[j + 1], t); }
    else if (u1 < CHOICE_SETTINGS.color_random) c = hslHex(hh, hs, hl);
    opts[k] = [c.toLowerCase()];
  }
  if (def.fixed) Object.assign(opts, def.fixed);
  opts.backgroundColor = ['transparent'];
  opts.clip = false;
  return { options: opts, chosen: drawn };
}

// ---------------------------------------------------------------------------
// SVG tokens.
// ---------------------------------------------------------------------------
const TOKEN_RE = /<!--([\s\S]*?)-->|<(\/?)([a-zA-Z][\w:.-]*)((?:\s+[^\s=>\/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/g;
const CONTAINERS = { g: 1, svg: 1, a: 1, switch: 1 };
const DEFS_LIKE = { defs: 1, mask: 1, clipPath: 1, linearGradient: 1, radialGradient: 1, pattern: 1, filter: 1, symbol: 1, marker: 1, style: 1 };

export function tokenize(body) {
  const toks = [];
  let last = 0, m;
  TOKEN_RE.lastIndex = 0;
  while ((m = TOKEN_RE.exec(body))) {
    if (m.index > last) toks.push({ t: 'text', raw: body.slice(last, m.index) });
    if (m[1] !== undefined) toks.push({ t: 'comment', raw: m[0], text: m[1] });
    else if (m[2] === '/') toks.push({ t: 'close', name: m[3], raw: m[0] });
    else toks.push({ t: m[5] === '/' ? 'self' : 'open', name: m[3], attrs: m[4], raw: m[0] });
    last = TOKEN_RE.lastIndex;
  }
  if (last < body.length) toks.push({ t: 'text', raw: body.slice(last) });
  return toks;
}

function parseAttrs(s) {
  const out = [], re = /([^\s=]+)\s*=\s*"([^"]*)"/g;
  let m;
  while ((m = re.exec(s || ''))) out.push([m[1], m[2]]);
  return out;
}
function getAttr(a, k) { for (const p of a) if (p[0] === k) return p[1]; return undefined; }
function setAttr(a, k, v) { for (const p of a) if (p[0] === k) { p[1] = v; return; } a.push([k, v]); }
function delAttr(a, k) { for (let i = a.length - 1; i >= 0; i--) if (a[i][0] === k) a.splice(i, 1); }
function tagOf(name, a, self) { return '<' + name + a.map(function (p) { return ' ' + p[0] + '="' + p[1] + '"'; }).join('') + (self ? '/>' : '>'); }

// Uniform scale factor of an SVG transform attribute (sqrt |det|).
export function transformScale(tr) {
  if (!tr) return 1;
  let s = 1, m;
  const re = /(matrix|scale|translate|rotate|skewX|skewY)\s*\(([^)]*)\)/g;
  while ((m = re.exec(tr))) {
    const v = m[2].trim().split(/[\s,]+/).map(Number);
    if (m[1] === 'matrix') s *= Math.sqrt(Math.abs(v[0] * v[3] - v[1] * v[2]));
    else if (m[1] === 'scale') s *= Math.sqrt(Math.abs(v[0] * (v.length > 1 ? v[1] : v[0])));
  }
  return s;
}

function markerOf(tok) {
  if (tok.t !== 'comment') return null;
  const m = /^(\/?)s:([\w-]+)$/.exec(tok.text);
  return m ? { close: m[1] === '/', name: m[2] } : null;
}

// Give every id in a body a prefix (ids must be unique in a sheet of many faces).
export function prefixIds(body, pfx) {
  return body.replace(/ id="([^"]+)"/g, ' id="' + pfx + '$1"')
    .replace(/url\(#([^)]+)\)/g, 'url(#' + pfx + '$1)')
    .replace(/ (xlink:)?href="#([^"]+)"/g, ' $1href="#' + pfx + '$2"');
}

export function stripMarkers(body) { return body.replace(/<!--\/?s:[\w-]+-->/g, ''); }

// Annotate every element token with its owner: the innermost component
// marker around it ('base' outside all), and the index of its top-level
// ancestor inside that component (tok.top).
export function annotate(toks) {
  const scopes = [{ name: 'base', depth: 0, n: -1 }], stack = [];
  let depth = 0;
  for (const tok of toks) {
    const mk = markerOf(tok);
    if (mk) {
      if (mk.close) scopes.pop(); else scopes.push({ name: mk.name, depth: depth, n: -1 });
      continue;
    }
    if (tok.t === 'close') { depth--; stack.pop(); continue; }
    if (tok.t !== 'open' && tok.t !== 'self') continue;
    const sc = scopes[scopes.length - 1];
    tok.owner = sc.name;
    if (depth === sc.depth) tok.top = ++sc.n;
    else tok.top = stack.length ? stack[stack.length - 1].top : -1;
    if (tok.t === 'open') { stack.push(tok); depth++; }
  }
  return toks;
}

// The elements of one part: structure (groups, masks, defs) is kept, drawing
// elements only when they belong to the part (spec.comp, spec.pick).
export function partBody(toks, spec) {
  const out = [], keep = [];
  let defsDepth = 0;
  for (const tok of toks) {
    if (tok.t === 'comment') continue;
    if (tok.t === 'text') { if (defsDepth) out.push(tok.raw); continue; }
    if (tok.t === 'close') {
      if (DEFS_LIKE[tok.name]) defsDepth--;
      if (keep.pop()) out.push(tok.raw);
      continue;
    }
    let k;
    if (defsDepth || DEFS_LIKE[tok.name] || CONTAINERS[tok.name]) k = true;
    else k = tok.owner === spec.comp && (!spec.pick || spec.pick.indexOf(tok.top) >= 0);
    if (tok.t === 'open') { keep.push(k); if (DEFS_LIKE[tok.name]) defsDepth++; }
    if (k) out.push(tok.raw);
  }
  return out.join('');
}

// ---------------------------------------------------------------------------
// Sketch: the style's outline ink in black, everything else white.
//   ink:   the style's ink rule (STYLE_DEFS[..].ink)
//   wFill: width (viewBox units) of a same-colour stroke added to ink fills
//          (0: the art's own line width)
//   wLine: width (viewBox units) of ink strokes and silhouette outlines
// Stroke widths are divided by the scale of the element's own transforms so
// that every line has the same width on the canvas.
// ---------------------------------------------------------------------------
function num(v) { return String(Math.round(v * 10000) / 10000); }

export function sketchBody(toks, ink, wFill, wLine) {
  const out = [], scales = [1], inks = {};
  for (const c of ink.fills) inks[c.toLowerCase()] = 1;
  const faint = ink.faint_outline || [];
  let defsDepth = 0;
  for (const tok of toks) {
    if (tok.t === 'comment') continue;
    if (tok.t === 'text') { out.push(tok.raw); continue; }
    if (tok.t === 'close') {
      if (DEFS_LIKE[tok.name]) defsDepth--;
      if (!defsDepth) scales.pop();
      out.push(tok.raw);
      continue;
    }
    if (defsDepth || DEFS_LIKE[tok.name]) {
      if (tok.t === 'open' && DEFS_LIKE[tok.name]) { if (!defsDepth) scales.push(scales[scales.length - 1]); defsDepth++; }
      out.push(tok.raw);
      continue;
    }
    const a = parseAttrs(tok.attrs);
    const sc = scales[scales.length - 1] * transformScale(getAttr(a, 'transform'));
    if (tok.t === 'open') scales.push(sc);
    const st = getAttr(a, 'style');
    if (st !== undefined) {
      const s2 = st.replace(/mix-blend-mode:[^;]*;?/g, '').trim();
      if (s2) setAttr(a, 'style', s2); else delAttr(a, 'style');
    }
    const isFaint = faint.indexOf(tok.owner) >= 0;
    const op = getAttr(a, 'opacity');
    const ownStroke = getAttr(a, 'stroke');
    const outline = function () {
      setAttr(a, 'stroke', '#000'); setAttr(a, 'stroke-width', num(wLine / sc)); setAttr(a, 'stroke-linejoin', 'round');
    };
    if (op !== undefined && parseFloat(op) < 0.5) {
      if (isFaint) { delAttr(a, 'opacity'); setAttr(a, 'fill', 'none'); delAttr(a, 'fill-opacity'); outline(); }
      else { delAttr(a, 'opacity'); setAttr(a, 'display', 'none'); }
    } else {
      const f = getAttr(a, 'fill');
      if (f !== undefined && f !== 'none') {
        const fo = getAttr(a, 'fill-opacity');
        delAttr(a, 'fill-opacity');
        if (fo !== undefined && parseFloat(fo) < 0.5) {
          setAttr(a, 'fill', 'none');
          if (isFaint) outline();
          else if (ownStroke === undefined) setAttr(a, 'stroke', 'none');
        } else if (inks[f.toLowerCase()]) {
          setAttr(a, 'fill', '#000');
          if (wFill > 0 && ownStroke === undefined) {
            setAttr(a, 'stroke', '#000'); setAttr(a, 'stroke-width', num(wFill / sc)); setAttr(a, 'stroke-linejoin', 'round');
          }
        } else {
          setAttr(a, 'fill', '#fff');
          const sil = ink.silhouette === true || (Array.isArray(ink.silhouette) && ink.silhouette.indexOf(tok.owner) >= 0);
          if (sil && ownStroke === undefined) outline();
        }
      }
      if (ownStroke !== undefined && ownStroke !== 'none') {
        const so = getAttr(a, 'stroke-opacity');
        delAttr(a, 'stroke-opacity');
        if ((so !== undefined && parseFloat(so) < 0.5) || !ink.strokes) setAttr(a, 'stroke', 'none');
        else {
          setAttr(a, 'stroke', '#000');
          const w0 = parseFloat(getAttr(a, 'stroke-width') || '1');
          setAttr(a, 'stroke-width', num(Math.max(w0, wLine / sc)));
        }
      }
    }
    out.push(tagOf(tok.name, a, tok.t === 'self'));
  }
  return out.join('');
}

// A <mask> whose content is one opaque shape (white for a luminance mask)
// is a clip path; librsvg renders every mask as a layer the size of the whole
// sheet (very slow on big sheets), and a clip path without one.
export function masksToClips(body) {
  const ids = [];
  body = body.replace(/<mask ([^>]*)>\s*(<(path|ellipse|circle|rect)\b[^>]*\/>)\s*<\/mask>/g, function (m, attrs, shape) {
    const id = /\bid="([^"]*)"/.exec(attrs);
    if (!id) return m;
    const lum = !/mask-type:\s*alpha/.test(attrs);
    const fill = (/\bfill="([^"]*)"/.exec(shape) || [])[1];
    if (/opacity=/.test(shape)) return m;
    if (lum && !(fill && /^(#fff|#ffffff|white)$/i.test(fill))) return m;
    if (!lum && (!fill || fill === 'none')) return m;
    ids.push(id[1]);
    return '<clipPath id="' + id[1] + '">' + shape + '</clipPath>';
  });
  for (const id of ids) body = body.split(' mask="url(#' + id + ')"').join(' clip-path="url(#' + id + ')"');
  return body;
}

// Part renders measure geometry: shapes too faint to reach the box threshold
// alone (opacity x fill-opacity < 64/255) are dropped, the others drawn
// opaque, and blend modes removed, so that no element needs a layer.
export function opaqueParts(body, solid) {
  return body.replace(/<([a-zA-Z]+)((?:\s+[^\s=>\/]+="[^"]*")*)\s*(\/?)>/g, function (m, name, attrs, self) {
    if (!/opacity|mix-blend-mode/.test(attrs)) return m;
    const op = parseFloat((/\sopacity="([^"]*)"/.exec(attrs) || [])[1] || '1');
    const fo = parseFloat((/\sfill-opacity="([^"]*)"/.exec(attrs) || [])[1] || '1');
    let a = attrs.replace(/\s(opacity|fill-opacity|stroke-opacity)="[^"]*"/g, '').replace(/\sstyle="mix-blend-mode:[^"]*"/g, '');
    if (op * fo < 64 / 255 && !solid) a += ' display="none"';
    return '<' + name + a + (self ? '/>' : '>');
  });
}

// Drop what a part body does not draw: empty groups, and masks / clip paths /
// gradients that nothing in it references (they come from other parts).
export function pruneBody(body) {
  let prev;
  do {
    prev = body;
    body = body.replace(/<g(\s[^>]*)?><\/g>/g, '');
    body = body.replace(/<(mask|clipPath|linearGradient|radialGradient|defs)\b([^>]*)>[\s\S]*?<\/\1>/g, function (m, tag, attrs) {
      const id = /\bid="([^"]*)"/.exec(attrs);
      if (!id) return tag === 'defs' && !/<[a-zA-Z]/.test(m.slice(m.indexOf('>') + 1, m.lastIndexOf('<'))) ? '' : m;
      return body.indexOf('url(#' + id[1] + ')') >= 0 || body.indexOf('href="#' + id[1] + '"') >= 0 ? m : '';
    });
  } while (body !== prev);
  return body;
}
