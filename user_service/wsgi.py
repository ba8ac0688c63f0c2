"""gunicorn's entry point: `gunicorn -k gevent user_service.wsgi:app`."""
from shared.cooperative import make_cooperative

make_cooperative()

from shared import logs  # noqa: E402

logs.configure("user_service")

from user_service import create_app  # noqa: E402  (after the patching, on purpose)

app = create_app()
