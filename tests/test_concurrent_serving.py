"""Serving one fitted model from many threads: every thread gets what one
thread alone gets, for labels and probabilities, single rows and batches,
float32 and float64 inputs; and the HTTP example server
(examples/serve_http.py) answers as predict_proba does."""

import http.client
import json
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from estimator_helpers import (
    assert_threads_predict_alike,
    ignore_convergence,
    with_precision,
)
from fastdnn import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from serve_http import JSON, RAW_FLOAT32, serving  # noqa: E402

N_FEATURES = 12


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, N_FEATURES)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1) + 2 * (X[:, 3] > 1.5)
    return X, y


@pytest.fixture(scope="module")
def classifier(data):
    X, y = data
    with ignore_convergence():
        return MLPClassifier((32, 16), max_iter=5, n_jobs=1, random_state=0).fit(X, y)


@pytest.mark.parametrize("precision", ["float32", "int8"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_eight_threads_get_what_one_thread_gets(
    classifier, data, precision, dtype, method
):
    # Single rows and 64-row batches at once, as a server's requests come.
    X = data[0].astype(dtype)
    model = with_precision(classifier, precision)
    predict = getattr(model, method)
    slices = [
        X[start : start + (1 if start % 2 else 64)] for start in range(0, 400, 50)
    ]
    expected = [predict(rows) for rows in slices]
    assert_threads_predict_alike(predict, slices, expected, calls=25)


def _post(address, body, content_type, path="/predict"):
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": content_type}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_http_server_answers_predict_proba(classifier, data):
    X = data[0][:5]
    expected = classifier.predict_proba(X)
    with serving(classifier) as address:
        status, body = _post(address, json.dumps({"rows": X.tolist()}), JSON)
        assert status == 200
        answer = np.array(json.loads(body)["probabilities"], dtype=np.float32)
        assert answer.tobytes() == expected.tobytes()

        status, body = _post(address, X.astype("<f4").tobytes(), RAW_FLOAT32)
        assert status == 200
        assert body == expected.astype("<f4").tobytes()


def test_http_server_serves_concurrent_clients(classifier, data):
    X = data[0]
    rows = [X[start : start + 1 + start % 7] for start in range(0, 40, 10)]
    expected = [classifier.predict_proba(r).astype("<f4").tobytes() for r in rows]
    answers = [[] for _ in rows]

    def client(index):
        for _ in range(5):
            answers[index].append(
                _post(address, rows[index].astype("<f4").tobytes(), RAW_FLOAT32)
            )

    with serving(classifier) as address:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(rows))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    for index, replies in enumerate(answers):
        assert replies == [(200, expected[index])] * 5


@pytest.mark.parametrize(
    ("body", "content_type", "named"),
    [
        (b"\0" * (4 * N_FEATURES + 4), RAW_FLOAT32, "whole rows"),
        (b"", RAW_FLOAT32, "whole rows"),
        (json.dumps({"rows": [[1.0, 2.0]]}), JSON, f"rows of {N_FEATURES} numbers"),
        (b"not json", JSON, '{"rows"'),
        (json.dumps({"rows": [[float("nan")] * N_FEATURES]}), JSON, "NaN"),
        (b"1,2,3", "text/csv", "Content-Type"),
    ],
)
def test_http_server_names_a_bad_request(classifier, body, content_type, named):
    with serving(classifier) as address:
        status, answer = _post(address, body, content_type)
    assert status == 400
    assert named in json.loads(answer)["error"]


def test_http_server_answers_404_elsewhere(classifier):
    with serving(classifier) as address:
        status, _ = _post(address, b"{}", JSON, path="/other")
    assert status == 404


def test_http_server_names_a_request_without_content_length(classifier):
    with serving(classifier) as address:
        with socket.create_connection(address, timeout=10) as connection:
            connection.sendall(
                b"POST /predict HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/json\r\n\r\n"
            )
            answer = connection.makefile("rb").read()
    status_line, _, body = answer.partition(b"\r\n")
    assert b" 400 " in status_line
    assert b"Content-Length" in body
