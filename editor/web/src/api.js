// The editor's JSON API (editor/server): thin fetch wrappers. Every error
// reply is {"error": "..."}; callers get an Error with that message.

// A run reply with the images' pixels inline (editor/server/pixel_reply.h): a
// 4-byte little-endian JSON length, the JSON, then RGBA8 pixels; the reply
// object gets `pixels`, a Uint8ClampedArray its outputs' offsets index.
const PIXEL_REPLY = 'application/vnd.sumi.run-pixels';

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.ok && res.headers.get('Content-Type') === PIXEL_REPLY) {
    const buf = await res.arrayBuffer();
    const n = buf.byteLength >= 4 ? new DataView(buf).getUint32(0, true) : Infinity;
    if (4 + n > buf.byteLength) throw new Error(`${method} ${path}: a truncated reply`);
    const data = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
    data.pixels = new Uint8ClampedArray(buf, 4 + n);
    return data;
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!res.ok) {
    const err = new Error((data && data.error) || `${method} ${path}: HTTP ${res.status}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

export const api = {
  nodes: () => call('GET', '/api/nodes'),
  models: () => call('GET', '/api/models'),
  references: () => call('GET', '/api/references'),
  graphs: () => call('GET', '/api/graphs'),
  loadGraph: (file) => call('GET', `/api/graphs/${encodeURIComponent(file)}`),
  saveGraph: (file, graph) => call('PUT', `/api/graphs/${encodeURIComponent(file)}`, graph),
  newSession: () => call('POST', '/api/sessions'),
  run: (session, request) => call('POST', `/api/sessions/${session}/run`, request),
  // Server-sent events of node progress: onEvent({run, kind, node, ms, message}).
  events(session, onEvent) {
    const es = new EventSource(`/api/sessions/${session}/events`);
    es.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch { /* ignore */ } };
    return es;
  },
};
