"""What the settings read from the environment, found in their source (for checks of docs and deployments)."""

from __future__ import annotations

import re

from testing.services import REPO_ROOT

SETTINGS_READ = re.compile(r'env(?:\.\w+)?\(\s*"([A-Z_][A-Z0-9_]*)"')
SERVER_READ = re.compile(r'environ(?:\.get\(|\.setdefault\(|\[)\s*"([A-Z_][A-Z0-9_]*)"')


def variables_read() -> set[str]:
    """Every environment variable project_config/settings.py and project_config/server.py read."""
    names = set(SETTINGS_READ.findall((REPO_ROOT / "project_config" / "settings.py").read_text()))
    names |= set(SERVER_READ.findall((REPO_ROOT / "project_config" / "server.py").read_text()))
    return names
