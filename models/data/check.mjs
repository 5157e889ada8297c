#!/usr/bin/env node
// Self-check of the training-data generator against the committed fixture.
//
//   node models/data/check.mjs [--fixture models/data/fixture] [--keep]
//
// Regenerates the fixture's faces into a temporary folder (with
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
import { decodePNG } from './generate.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let fixture = path.join(HERE, 'fixture'), keep = false;
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--fixture') fixture = argv[++k];
  else if (argv[k] === '--keep') keep = true;
  else { process.stderr.write('usage: node models/data/check.mjs [--fixture DIR] [--keep]\n'); process.exit(2); }
}

const problems = [];
function problem(s) { problems.push(s); process.stderr.write('check: ' + s + '\n'); }
function readLines(f) { return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean); }

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
if (keep) process.stderr.write('check: output kept in ' + tmp + '\n');
else fs.rmSync(tmp, { recursive: true, force: true });
process.stderr.write(problems.length ? 'check: FAILED (' + problems.length + ' problem(s))\n' : 'check: OK\n');
process.exit(problems.length ? 1 : 0);
