"""fastdnn makes idle OpenMP threads sleep unless the user chose otherwise."""

import os
import subprocess
import sys

import pytest


def _wait_policy_after_import(**environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    }
    env.update(environment)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, fastdnn; print(os.environ.get('OMP_WAIT_POLICY'))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_import_makes_idle_threads_sleep_by_default():
    assert _wait_policy_after_import() == "PASSIVE"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"OMP_WAIT_POLICY": "ACTIVE"}, "ACTIVE"),
        ({"GOMP_SPINCOUNT": "10000"}, "None"),
    ],
)
def test_a_users_own_wait_setting_wins(environment, expected):
    assert _wait_policy_after_import(**environment) == expected
