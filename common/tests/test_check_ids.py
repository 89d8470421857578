"""Every system-check message of FacePass's apps has its own stable id, named after its app and its level."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("common", "sessions_app", "proxy_app", "sso_app", "request_log_app", "face_search_app", "project_config")
LEVEL_LETTERS = {"Critical": "E", "Error": "E", "Warning": "W", "Info": "I", "Debug": "D"}


def check_messages() -> list[tuple[str, str, str]]:
    """(id, level, where) for every Error(...)/Warning(...) built with an id= in the apps' code."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.Call):
                    continue
                level = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                ids = [
                    kw.value.value
                    for kw in node.keywords
                    if kw.arg == "id" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
                ]
                if level in LEVEL_LETTERS and ids:
                    found.append((ids[0], level, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_the_scan_finds_the_checks_we_know_of():
    ids = {check_id for check_id, _, _ in check_messages()}

    assert {"proxy_app.E001", "proxy_app.E002", "proxy_app.E003", "face_search_app.W001"} <= ids


def test_no_check_id_is_used_for_two_messages():
    places = defaultdict(list)
    for check_id, _, where in check_messages():
        places[check_id].append(where)

    assert {check_id: where for check_id, where in places.items() if len(where) > 1} == {}


def test_check_ids_name_their_app_and_level():
    wrong = []
    for check_id, level, where in check_messages():
        package = where.split("/", 1)[0]
        if not re.fullmatch(rf"{package}\.{LEVEL_LETTERS[level]}\d{{3}}", check_id):
            wrong.append((check_id, level, where))

    assert wrong == []
