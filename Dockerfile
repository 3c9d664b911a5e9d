FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PMFLOW_VAR_DIR=/app/var
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
 && DEBUG=false SECRET_KEY=build-only-not-secret-placeholder-0123456789abcdefghij python manage.py collectstatic --noinput \
 && useradd --create-home pmflow && mkdir -p /app/var && chown -R pmflow /app/var
USER pmflow
EXPOSE 8000
CMD ["gunicorn", "pmflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
