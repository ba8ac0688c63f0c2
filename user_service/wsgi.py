"""gunicorn's entry point: `gunicorn -k gevent user_service.wsgi:app`."""

from shared.cooperative import make_cooperative

make_cooperative()

from shared import logs

logs.configure("user_service")

from user_service import create_app

app = create_app()
