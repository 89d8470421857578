"""The soak's load tells nginx's stand-in for a lost request from FacePass's own answers, through the real nginx."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from types import SimpleNamespace

import pytest

from reliability.load import Load
from reliability.report import LOST, status_column
from testing.nginx import nginx_server
from testing.services import free_port

pytestmark = pytest.mark.e2e


def test_nginx_answering_for_an_app_server_that_is_gone_is_a_lost_request(tmp_path):
    with nginx_server(backend_url=f"http://127.0.0.1:{free_port()}", workdir=tmp_path) as url:
        stack = SimpleNamespace(base_url=url, enabled_ids=[str(uuid.uuid4())], disabled_ids=[], token="")
        result = Load(stack, rate=1, max_seconds=1)._answer("validate", 0.0)

    assert result.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert result.upstream_error == "502"
    assert result.lost
    assert status_column(result) == LOST
