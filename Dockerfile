# hotline-gateway: slim runtime image; `hotline-gateway serve` as a non-root user.
# Workers run from the same image with `hotline-gateway worker` as the command.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY channels ./channels
COPY normalizers ./normalizers
COPY gateway ./gateway
COPY queue_workers ./queue_workers
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOTLINE_HOST=0.0.0.0 \
    HOTLINE_PORT=8328 \
    HOTLINE_DATA_DIR=/var/lib/hotline \
    HOTLINE_LOG_FORMAT=json
RUN useradd --system --uid 10001 --home-dir /var/lib/hotline --create-home hotline
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER hotline
WORKDIR /var/lib/hotline
EXPOSE 8328
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HOTLINE_PORT', '8328'), timeout=2)"]
CMD ["hotline-gateway", "serve"]
