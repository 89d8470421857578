"""WSGI entry point, served by granian (see project_config/server.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings")

application = get_wsgi_application()
