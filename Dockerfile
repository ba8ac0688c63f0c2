# One image for every Python service; docker-compose.yml gives each container its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# What running needs, exactly as locked (hashes checked), in a layer of its own that code changes keep.
COPY requirements/run.txt ./requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt

COPY pyproject.toml gunicorn.conf.py ./
COPY shared ./shared
COPY db ./db
COPY auth_service ./auth_service
COPY user_service ./user_service
COPY ws_service ./ws_service
COPY all_in_one ./all_in_one
COPY local_stack ./local_stack
# The web client, for a gateway that serves it from this image (Kubernetes copies it out at start).
COPY web ./web
# A numeric user, so that Kubernetes can check runAsNonRoot against the image itself.
RUN pip install --no-deps . && useradd --system --uid 10001 --no-create-home parley

USER 10001
EXPOSE 8000
