"""${{ values.name }}: ${{ values.description or "a Python service" }}."""

from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"${{ values.name }} is up\n")


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", ${{ values.port }}), Handler).serve_forever()
