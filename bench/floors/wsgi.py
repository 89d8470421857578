"""WSGI entry of the bare-Django floor (gunicorn bench.floors.wsgi -c gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floors.settings"
application = get_wsgi_application()
