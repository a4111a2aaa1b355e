"""Scenario control through the pytest plugin, as a new user writes it: a test file run by
pytest in a subprocess, using only the ``secretmock`` fixture and ``requests``."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import time

import requests

FIREWORKS = {"Authorization": "Bearer fw-test-acme"}
INSFORGE = {"Authorization": "Bearer ik_test_demo_admin"}


def get_with_retry(url, headers, attempts=3):
    """The code under test: retries a 429 after the Retry-After it names."""
    for _ in range(attempts):
        answer = requests.get(url, headers=headers)
        if answer.status_code != 429:
            return answer
        time.sleep(int(answer.headers["Retry-After"]))
    return answer


def test_a_429_then_200_is_retried(secretmock):
    rule = secretmock.fault("fireworks", "Gateway_GetSecret", status=429, retry_after=0, times=1)
    url = secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1"
    answer = get_with_retry(url, FIREWORKS)
    assert answer.status_code == 200
    assert rule.hits == 1
    secretmock.assert_called("fireworks", "Gateway_GetSecret", status=429)


def test_a_secret_expires_when_the_clock_moves_past_it(secretmock):
    base = secretmock.url("insforge") + "/api/secrets"
    secretmock.clock.set("2031-01-01T00:00:00Z")
    body = {"key": "TEMP_TOKEN", "value": "t", "expiresAt": "2031-01-01T01:00:00Z"}
    assert requests.post(base, headers=INSFORGE, json=body).status_code == 201
    assert requests.get(base + "/TEMP_TOKEN", headers=INSFORGE).status_code == 200
    secretmock.clock.advance(3600)
    assert requests.get(base + "/TEMP_TOKEN", headers=INSFORGE).status_code == 404


def test_snapshot_and_restore(secretmock):
    url = secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1"
    saved = secretmock.snapshot()
    assert requests.delete(url, headers=FIREWORKS).status_code == 200
    assert requests.get(url, headers=FIREWORKS).status_code == 404
    secretmock.restore(saved)
    assert requests.get(url, headers=FIREWORKS).status_code == 200


def test_leaves_a_rule_and_a_frozen_clock_behind(secretmock):
    secretmock.fault("fireworks", status=503)
    secretmock.clock.set("2031-01-01T00:00:00Z")


def test_every_test_starts_with_no_rules_and_the_real_time(secretmock):
    url = secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1"
    assert requests.get(url, headers=FIREWORKS).status_code == 200
    assert not secretmock.clock.frozen
'''


def test_a_new_users_scenario_tests_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=5)
