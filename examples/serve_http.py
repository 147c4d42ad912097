"""
Serve predictions over HTTP
===========================

Serve a fitted classifier's predict_proba over HTTP with the standard
library (:doc:`/serving`). This example is not run while the documentation
is built: it serves until stopped.

POST /predict takes rows and answers their class probabilities:

- ``Content-Type: application/json``: a body ``{"rows": [[...], ...]}``,
  answered ``{"probabilities": [[...], ...]}``;
- ``Content-Type: application/octet-stream``: the rows as raw little-endian
  float32, row after row (``X.astype("<f4").tobytes()``), answered as raw
  little-endian float32 probabilities of shape (rows, classes).

A body that is not such rows is answered 400 with a JSON ``{"error": ...}``
naming the problem. ``ThreadingHTTPServer`` runs each connection on its own
thread, and those threads predict on the one model at once: the forward pass
releases the GIL (docs/serving.md).

Run it as a script (Ctrl-C stops it)::

    PYTHONPATH=python python examples/serve_http.py
"""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

JSON = "application/json"
RAW_FLOAT32 = "application/octet-stream"


class _BadRequest(ValueError):
    pass


def _rows_from(body, content_type, n_features):
    if content_type == RAW_FLOAT32:
        if len(body) == 0 or len(body) % (4 * n_features):
            raise _BadRequest(
                f"a raw float32 body must hold whole rows of {n_features} "
                f"values ({4 * n_features} bytes each); it has {len(body)} bytes."
            )
        return np.frombuffer(body, dtype="<f4").reshape(-1, n_features)
    if content_type == JSON:
        try:
            rows = json.loads(body)["rows"]
            X = np.asarray(rows, dtype=np.float32)
        except (ValueError, TypeError, KeyError) as error:
            raise _BadRequest(
                'a JSON body must be {"rows": [[numbers], ...]}: ' + str(error)
            ) from error
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != n_features:
            raise _BadRequest(
                f"rows must be a non-empty list of rows of {n_features} numbers; "
                f"got shape {X.shape}."
            )
        return X
    raise _BadRequest(f"Content-Type must be {JSON} or {RAW_FLOAT32}.")


def _handler_for(model):
    n_features = model.n_features_in_

    class PredictHandler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps a client's connection open between requests.
        protocol_version = "HTTP/1.1"
        # The headers and the body go out in two writes: with Nagle's
        # algorithm the second waits for the client's delayed ACK.
        disable_nagle_algorithm = True

        def do_POST(self):
            if self.path != "/predict":
                self._answer(404, JSON, b'{"error": "POST rows to /predict"}')
                return
            content_type = self.headers.get_content_type()
            try:
                X = _rows_from(self._body(), content_type, n_features)
                probabilities = model.predict_proba(X)
            except ValueError as error:  # _BadRequest, or the model's own check
                message = json.dumps({"error": str(error)}).encode()
                self._answer(400, JSON, message)
                return
            if content_type == RAW_FLOAT32:
                self._answer(200, RAW_FLOAT32, probabilities.astype("<f4").tobytes())
            else:
                answer = {"probabilities": probabilities.tolist()}
                self._answer(200, JSON, json.dumps(answer).encode())

        def _body(self):
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                # Without a length the body's end is unknown: the connection
                # cannot serve another request.
                self.close_connection = True
                raise _BadRequest("a request needs a Content-Length header.")
            return self.rfile.read(int(length))

        def _answer(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass  # one line per request would cost more than the prediction

    return PredictHandler


def make_server(model, host="127.0.0.1", port=0):
    """A ThreadingHTTPServer answering POST /predict with model's
    predict_proba, bound to host:port (port 0: one the system picks, read
    back from server.server_address), not yet serving."""
    server = ThreadingHTTPServer((host, port), _handler_for(model))
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def serving(model, host="127.0.0.1", port=0):
    """Serve model on a background thread for the with-block; yields the
    (host, port) it listens on and shuts the server down on exit."""
    server = make_server(model, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main():
    import warnings

    from fastdnn import MLPClassifier
    from fastdnn.datasets import load_mnist_digits
    from sklearn.exceptions import ConvergenceWarning

    X_train, _, y_train, _ = load_mnist_digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier((256, 256), max_iter=5, n_jobs=1, random_state=0)
        model.fit(X_train, y_train)
    server = make_server(model, port=8000)
    print(
        "Serving http://127.0.0.1:8000/predict: POST 784-pixel rows as JSON "
        '{"rows": [[...]]} or raw float32 (Content-Type application/octet-stream).'
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
