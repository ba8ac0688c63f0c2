"""gunicorn's entry point: `gunicorn -k gevent auth_service.wsgi:app`."""

from shared.cooperative import make_cooperative

make_cooperative()

from shared import logs

logs.configure("auth_service")

from auth_service import create_app

app = create_app()
