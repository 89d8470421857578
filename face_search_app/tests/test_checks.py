from __future__ import annotations

import pytest
from django.core.checks import run_checks


def check_ids(**kwargs) -> set[str]:
    return {
        message.id
        for message in run_checks(**kwargs)
        if message.id is not None and message.id.startswith("face_search_app.")
    }


def test_default_settings_pass_the_checks():
    assert check_ids() == set()


@pytest.mark.parametrize("threshold", [0, -0.1, 2.5])
def test_a_threshold_outside_the_distance_range_is_refused(settings, threshold):
    settings.FACE_MATCH_THRESHOLD = threshold

    assert check_ids() == {"face_search_app.E001"}


def test_missing_model_files_are_reported(monkeypatch):
    monkeypatch.setattr("face_search_app.checks.MODELS_PACKAGE", "no_such_models_package")

    assert check_ids() == {"face_search_app.E002"}


def test_a_filesystem_broker_is_reported_by_the_deploy_check(settings):
    settings.CELERY_BROKER_URL = "filesystem://"

    assert "face_search_app.W001" in check_ids(include_deployment_checks=True)
    assert "face_search_app.W001" not in check_ids()
