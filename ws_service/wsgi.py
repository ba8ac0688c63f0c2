"""gunicorn's entry point: `gunicorn -k gevent ws_service.wsgi:app`."""

from shared.cooperative import make_cooperative

make_cooperative()

from shared import logs

logs.configure("ws_service")

from ws_service import close_sockets_on_sigterm, create_app

app = create_app()
close_sockets_on_sigterm(app)
