from __future__ import annotations

import pytest

from proxy_app.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_seconds=30, clock=clock)


def test_opens_after_threshold_consecutive_failures(breaker):
    for _ in range(2):
        breaker.record_failure()
    assert (breaker.state, breaker.allow()) == (BreakerState.CLOSED, True)

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_count(breaker):
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()

    assert breaker.state is BreakerState.CLOSED


def test_after_the_reset_time_exactly_one_trial_goes_out(breaker, clock):
    for _ in range(3):
        breaker.record_failure()
    clock.now += 29.9
    assert not breaker.allow()

    clock.now += 0.2

    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() is True
    assert breaker.allow() is False
    assert breaker.allow() is False


def test_a_successful_trial_closes_the_circuit(breaker, clock):
    for _ in range(3):
        breaker.record_failure()
    clock.now += 31
    assert breaker.allow()

    breaker.record_success()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_it_again_for_the_full_time(breaker, clock):
    for _ in range(3):
        breaker.record_failure()
    clock.now += 31
    assert breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after() == pytest.approx(30)
