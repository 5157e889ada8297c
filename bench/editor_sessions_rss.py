#!/usr/bin/env python3
"""Resident memory of `sumi serve` with N editor sessions that each ran a graph.

Starts the server on a free loopback port, opens N sessions, runs GRAPH once in
each (the example face strokes fed to its strokes inputs), and prints the
server's VmRSS after start-up, after the first session's run and after all N.
Used to measure that sessions share one model store (issue 21).

    bench/editor_sessions_rss.py --sumi build/cli/sumi [--sessions 8] [--graph deepfacedrawing.sumi.json]
"""
import argparse
import http.client
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def rss_mb(pid):
    text = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = json.loads(r.read() or b"null")
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data}")
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sumi", default=str(ROOT / "build/cli/sumi"))
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--graph", default="deepfacedrawing.sumi.json")
    a = ap.parse_args()
    graph = json.loads((ROOT / "graphs" / a.graph).read_text())
    strokes = json.loads((ROOT / "examples/face.strokes.json").read_text())
    inputs = {nid: strokes for nid, n in graph["nodes"].items() if n["type"] == "io.strokes_input"}
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([a.sumi, "serve", "--port", "0", "--graphs", str(ROOT / "graphs"),
                                   "--outputs", str(pathlib.Path(tmp) / "outputs")],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = None
            for line in server.stdout:
                m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = int(m.group(1))
                    break
            if port is None:
                sys.exit("sumi serve did not start")
            call(port, "GET", "/api/nodes")
            print(f"started: {rss_mb(server.pid):.0f} MB")
            for i in range(a.sessions):
                session = call(port, "POST", "/api/sessions")["session"]
                r = call(port, "POST", f"/api/sessions/{session}/run", {"graph": a.graph, "inputs": inputs})
                if i == 0:
                    print(f"1 session ran {a.graph} ({r['computed']} nodes computed): {rss_mb(server.pid):.0f} MB")
            print(f"{a.sessions} sessions ran {a.graph}: {rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
