"""A local HTTP server that records every request made to it: proof that a renderer fetched nothing."""

import http.server
import threading
from contextlib import contextmanager


@contextmanager
def counting_server(content_type: str = "text/plain", body: bytes = b""):
    """Yields (base URL, list of requested paths) for a server on 127.0.0.1 that answers every GET with `body`."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
