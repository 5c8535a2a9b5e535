"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py digitsite.wsgi``.

Everything an operator may need to change comes from the environment:
BIND or PORT, WEB_CONCURRENCY, and the Django settings (see digitsite/settings.py).
"""

import os

# One thread per numeric library per worker. NumPy's BLAS and the LiteRT interpreter
# would otherwise each start a thread per core in every worker, and workers x threads x
# cores threads fight over the same cores: slower for everyone. Parallelism comes from
# the workers and their request threads instead. These must be set before the app (and
# so NumPy) is imported, which is why they are here, at the top. An operator's own value
# wins.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# BIND wins ("0.0.0.0:8000", "unix:/run/digits.sock"). A bare PORT is what hosting
# platforms (Heroku, Render, Cloud Run) set, and they reach the app from outside the
# container, so it listens on every interface. Neither: this machine only.
if os.environ.get("BIND"):
    bind = os.environ["BIND"]
elif os.environ.get("PORT"):
    bind = f"0.0.0.0:{os.environ['PORT']}"
else:
    bind = "127.0.0.1:8000"

# Processes for CPU-bound recognition, threads so a slow client or a database wait does
# not hold a whole process. WEB_CONCURRENCY is the usual knob for the process count.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4

# Each worker loads the app (and the model) itself after the fork: no state is shared
# between processes, and a code reload (HUP) picks up new code in every worker.
preload_app = False

# A prediction takes milliseconds; a request still running after 30 s is stuck.
timeout = 30
graceful_timeout = 30

# Logs to stdout/stderr: the process manager (systemd, Docker) collects them.
accesslog = "-"
errorlog = "-"
