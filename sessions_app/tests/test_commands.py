from __future__ import annotations

import sqlite3

import pytest

from project_config.databases import read_only_database
from sessions_app.demo import DEMO_SESSIONS
from sessions_app.management.commands.create_pixora_demo import demo_path_of
from testing.services import base_environment, manage


def test_demo_command_creates_the_demo_file(tmp_path):
    demo_path = tmp_path / "pixora.sqlite3"
    env = base_environment(tmp_path, PIXORA_DEMO_DATABASE_PATH=str(demo_path))

    result = manage("create_pixora_demo", env=env)

    with sqlite3.connect(demo_path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM photo_sessions")}
    assert names == {row["name"] for row in DEMO_SESSIONS}
    assert str(demo_path) in result.stdout


def test_demo_command_refuses_a_database_that_is_not_the_demo_file(tmp_path):
    other = tmp_path / "someone-elses.sqlite3"
    env = base_environment(tmp_path, MAIN_APP_DATABASE_URL=f"sqlite:///{other}")

    with pytest.raises(RuntimeError, match="refusing to touch it"):
        manage("create_pixora_demo", env=env)

    assert not other.exists()


@pytest.mark.parametrize(
    ("url", "is_demo"),
    [
        ("sqlite:///{tmp}/pixora_demo.sqlite3", True),
        ("sqlite:///{tmp}/../{tmpname}/pixora_demo.sqlite3", True),
        ("sqlite:///{tmp}/other.sqlite3", False),
        ("postgres://reader@127.0.0.1:5432/pixora", False),
    ],
)
def test_demo_path_is_recognised_only_for_the_demo_file(tmp_path, url, is_demo):
    database = read_only_database(url.format(tmp=tmp_path, tmpname=tmp_path.name))

    found = demo_path_of(database, tmp_path / "pixora_demo.sqlite3")

    assert (found == tmp_path / "pixora_demo.sqlite3") is is_demo
