from __future__ import annotations

import pytest

from request_log_app.checks import pod_name_check


@pytest.mark.parametrize("pod", ["facepass-0", "FacePass-7F9C", "a"])
def test_a_dns_label_pod_name_passes(settings, pod):
    settings.POD_NAME = pod

    assert pod_name_check() == []


@pytest.mark.parametrize("pod", ["facepass_0", "pod.example.test", "-pod", "a" * 64])
def test_a_pod_name_that_is_not_a_dns_label_is_warned_about(settings, pod):
    settings.POD_NAME = pod

    assert [message.id for message in pod_name_check()] == ["request_log_app.W001"]
