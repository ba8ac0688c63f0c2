"""gunicorn's entry point: `gunicorn -k gevent auth_service.wsgi:app`."""
from shared.cooperative import make_cooperative

make_cooperative()

from shared import logs  # noqa: E402

logs.configure("auth_service")

from auth_service import create_app  # noqa: E402  (after the patching, on purpose)

app = create_app()
