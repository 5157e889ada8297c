// The drawing view: a strokes document (format sumi.strokes v1) drawn with a
// pen, an eraser and a colour-hint brush, with undo/redo. `onStroke` is
// called after every finished stroke and every undo/redo/clear/load.

export class Drawing {
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.width = canvas.width;
    this.height = canvas.height;
    this.strokes = [];
    this.redoStack = [];
    this.tool = 'pen';   // pen | eraser | hint
    this.penWidth = 3;
    this.hintColor = '#e07050';
    this.current = null;
    this.onChange = onChange;
    this.lastStrokeEnd = 0;
    this.guidance = null;       // a canvas drawn faintly under the strokes
    this.showGuidance = true;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.style.touchAction = 'none';
    this.redraw();
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * this.width;
    const y = ((e.clientY - r.top) / r.height) * this.height;
    const p = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    // Mice report 0 or 0.5; only pens carry real pressure.
    if (e.pointerType === 'pen' && e.pressure > 0) p.push(Math.round(e.pressure * 100) / 100);
    return p;
  }

  down(e) {
    if (e.button !== undefined && e.button !== 0) return;
    this.canvas.setPointerCapture?.(e.pointerId);
    const kind = this.tool === 'eraser' ? 'erase' : this.tool === 'hint' ? 'hint' : 'line';
    const width = this.tool === 'eraser' ? Math.max(8, this.penWidth * 4) : this.tool === 'hint' ? Math.max(6, this.penWidth * 3) : this.penWidth;
    this.current = { kind, width, color: kind === 'hint' ? this.hintColor : '#000000', points: [this.point(e)] };
    this.redraw();
  }

  move(e) {
    if (!this.current) return;
    const p = this.point(e);
    const last = this.current.points[this.current.points.length - 1];
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 1.5) return;
    this.current.points.push(p);
    this.drawStroke(this.current);
  }

  up() {
    if (!this.current) return;
    const s = this.current;
    this.current = null;
    if (s.points.length === 1) s.points.push([s.points[0][0] + 0.1, s.points[0][1]]);
    this.strokes.push(s);
    this.redoStack = [];
    this.lastStrokeEnd = performance.now();
    this.redraw();
    this.onChange('stroke');
  }

  undo() {
    if (!this.strokes.length) return;
    this.redoStack.push(this.strokes.pop());
    this.redraw();
    this.onChange('undo');
  }

  redo() {
    if (!this.redoStack.length) return;
    this.strokes.push(this.redoStack.pop());
    this.redraw();
    this.onChange('redo');
  }

  clear() {
    if (!this.strokes.length) return;
    // Clearing is undoable: the strokes go on the redo stack in reverse.
    this.redoStack = this.strokes.reverse();
    this.strokes = [];
    this.redraw();
    this.onChange('clear');
  }

  toJSON() {
    return { format: 'sumi.strokes', version: 1, canvas: [this.width, this.height], strokes: this.strokes };
  }

  load(doc) {
    if (!doc || doc.format !== 'sumi.strokes' || !Array.isArray(doc.strokes)) throw new Error('not a sumi.strokes file');
    const [w, h] = doc.canvas || [512, 512];
    const sx = this.width / w, sy = this.height / h;
    this.strokes = doc.strokes.map((s) => ({
      kind: s.kind || 'line', width: s.width ?? 3, color: s.color || '#000000',
      points: s.points.map((p) => (p.length > 2 ? [p[0] * sx, p[1] * sy, p[2]] : [p[0] * sx, p[1] * sy])),
    }));
    this.redoStack = [];
    this.redraw();
    this.onChange('load');
  }

  drawStroke(s) {
    const ctx = this.ctx;
    ctx.save();
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = s.kind === 'erase' ? '#ffffff' : s.color;
    ctx.globalAlpha = s.kind === 'hint' ? 0.55 : 1;
    ctx.lineWidth = s.width;
    ctx.beginPath();
    s.points.forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
    ctx.stroke();
    ctx.restore();
  }

  redraw() {
    const ctx = this.ctx;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, this.width, this.height);
    if (this.showGuidance && this.guidance?.width) {
      ctx.save();
      ctx.globalAlpha = 0.3;
      ctx.drawImage(this.guidance, 0, 0, this.width, this.height);
      ctx.restore();
    }
    for (const s of this.strokes) this.drawStroke(s);
    if (this.current) this.drawStroke(this.current);
  }
}
