"""The demo's stand-in for the SMS and voice providers: the one seam where a paid service would be called.

A loopback HTTP server that accepts what Apprise's json:// and our voice webhook post, answers 200 and
writes each message to `outbox/gateway.jsonl` under the data directory, so a demo user can read what a
customer's phone would have shown. Only `make demo` uses it; a real installation sets FRONTLINE_SMS_URL
to its provider's Apprise URL.
"""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.test import override_settings

GATEWAY_PORT = 8025


def outbox() -> Path:
    path = Path(settings.DATA_DIR) / "outbox" / "gateway.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def gateway_settings(port: int) -> dict:
    return {
        "FRONTLINE_SMS_URL": f"json://127.0.0.1:{port}/sms/{{number}}",
        "FRONTLINE_VOICE_WEBHOOK_URL": f"http://127.0.0.1:{port}/voice",
        "FRONTLINE_VOICE_WEBHOOK_SECRET": "demo-voice-secret",
    }


def serve(port: int = GATEWAY_PORT) -> ThreadingHTTPServer:
    """Start the stand-in on 127.0.0.1:`port` in a thread; answers the server (call .shutdown() to stop)."""
    target = outbox()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {"raw": body.decode("utf-8", "replace")}
            line = {"path": self.path, "key": self.headers.get("Idempotency-Key", ""), "payload": payload}
            with lock, target.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def running():
    """The stand-in on a free port, and settings that send SMS and calls to it: for the seed's stories."""
    server = serve(0)
    try:
        with override_settings(**gateway_settings(server.server_address[1])):
            yield server
    finally:
        server.shutdown()
        server.server_close()
