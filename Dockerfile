# Self-hosting: Streamlit's documented Docker pattern (docs.streamlit.io, "Deploy Streamlit using Docker").
#   docker build -t seqdash .
#   docker run -p 8501:8501 seqdash            then open http://localhost:8501
FROM python:3.12-slim

WORKDIR /app

# curl serves the health check below
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The app itself (.dockerignore leaves out tests, benchmarks and local data)
COPY . .

# A shared server: each learner's review progress stays in their own session (export/import
# keeps it). For a class, keep it in PostgreSQL, under each learner's account or progress key:
#   -e SEQDASH_STORAGE=database -e SEQDASH_DATABASE_URL=postgresql+psycopg://user:pw@db-host/seqdash
# (README, "Host it for a class"; several containers behind deploy/nginx.conf share one database).
# For a server only you use, run with -e SEQDASH_STORAGE=local and a volume for
# /app/progress, e.g. -v seqdash:/app/progress -e SEQDASH_DATA_DIR=/app/progress.
ENV SEQDASH_STORAGE=session

# Not root
RUN useradd --create-home learner && mkdir -p /app/progress && chown learner /app/progress
USER learner

EXPOSE 8501

HEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health

ENTRYPOINT ["streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0"]
