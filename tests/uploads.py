"""A multipart upload of any size streamed through the WSGI handler, as gunicorn would pass it,
without the test ever holding the body in memory, and the peak of Python memory it cost the
server (tracemalloc). The test client cannot do this: it builds the whole body first."""

import tracemalloc
import uuid

from django.test.client import ClientHandler

CHUNK = 1024 * 1024


class StreamedBody:
    """The bytes of a multipart/form-data body, made as they are read: the fields, one file of
    `size` bytes (a JPEG's first bytes, then filler), the end."""

    def __init__(self, *, boundary: str, fields: dict, field: str, filename: str, size: int):
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.parts = [head, None, f"\r\n--{boundary}--\r\n".encode()]
        self.file_size = size
        self.length = len(head) + size + len(self.parts[2])
        self.position = 0
        self.filler = b"\xff\xd8\xff\xe0" + b"0" * (CHUNK - 4)

    def _byte_range(self, start: int, end: int) -> bytes:
        head, _, tail = self.parts
        out = []
        for offset, length, source in (
            (0, len(head), head),
            (len(head), self.file_size, None),
            (len(head) + self.file_size, len(tail), tail),
        ):
            lo, hi = max(start, offset), min(end, offset + length)
            if lo >= hi:
                continue
            if source is not None:
                out.append(source[lo - offset : hi - offset])
            else:
                rel = lo - offset
                while rel < hi - offset:
                    piece = self.filler[rel % CHUNK : min(CHUNK, rel % CHUNK + (hi - offset - rel))]
                    out.append(piece)
                    rel += len(piece)
        return b"".join(out)

    def read(self, size: int = -1) -> bytes:
        end = self.length if size is None or size < 0 else min(self.length, self.position + size)
        data = self._byte_range(self.position, end)
        self.position = end
        return data

    def readline(self, size: int = -1) -> bytes:  # Django's LimitedStream only uses read()
        return self.read(size)


def multipart_environ(*, path: str, cookies: str, fields: dict, field: str, filename: str, size: int) -> dict:
    boundary = uuid.uuid4().hex
    body = StreamedBody(boundary=boundary, fields=fields, field=field, filename=filename, size=size)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": cookies,
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(body.length),
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": None,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def peak_memory_of_request(environ: dict):
    """(response, peak bytes of Python allocations while the request was handled and its upload
    read). CSRF is not enforced, as in the test client."""
    handler = ClientHandler(enforce_csrf_checks=False)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = handler(environ)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak
