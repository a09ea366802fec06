"""A real HTTP server on the loopback interface that records what it receives: the robots' and
the SMS gateway's stand-in in the tests and in `make bench-notify`. `answer` decides each reply:
(status, body), or (seconds, (status, body)) to wait first, or None to hang up."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Received:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []

    def add(self, request: dict) -> None:
        with self.lock:
            self.requests.append(request)

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"].get("X-Chuangwei-Message-Id") for r in self.requests]


class Stub:
    def __init__(self, answer=None):
        self.received = Received()
        self.answer = answer or (lambda request: (200, {"errcode": 0, "errmsg": "ok"}))
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                request = {
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "headers": dict(self.headers),
                    "raw": raw,
                }
                reply = stub.answer(request)
                if reply is None:  # hang up without answering
                    self.close_connection = True
                    return
                delay, (status, body) = (reply[0], reply[1]) if isinstance(reply[0], float) else (0.0, reply)
                if delay:
                    time.sleep(delay)
                stub.received.add(request)
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
