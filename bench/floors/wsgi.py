"""WSGI entry of the bare-Django floor (python -m project_config.server bench.floors.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floors.settings"
application = get_wsgi_application()
