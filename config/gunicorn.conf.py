"""gunicorn, the production web server (`make serve`; the systemd unit in README, "Deployment").

    gunicorn -c config/gunicorn.conf.py config.wsgi

Behind the reverse proxy (nginx), which terminates HTTPS, buffers slow clients and serves as the
only door from outside. Values come from the environment like the app's own settings and stop
the start when they are wrong."""

import multiprocessing

from config.env import env_int, env_networks, env_str

wsgi_app = "config.wsgi:application"
# TCP on the loopback, not a UNIX socket: the app reads the peer's address to decide whether it
# is the trusted proxy (TRUSTED_PROXIES), and a UNIX socket has none.
bind = [env_str("GUNICORN_BIND", "127.0.0.1:8000")]
proc_name = "chuangwei"

# Synchronous workers, one request each: the pages are short database reads. 2 × CPUs + 1 is
# gunicorn's advice; each worker holds about 100 MB, so the default stops at 8.
workers = env_int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8), minimum=1)
# A bulletin's PDF (LibreOffice) and a 100,000-row Excel export still run inside the request
# until the background worker lands (notifications issue): two minutes before a worker is killed.
timeout = env_int("GUNICORN_TIMEOUT", 120, minimum=10)
graceful_timeout = 30  # a restart lets requests in flight finish
keepalive = 5  # the proxy reuses its connections
# A fresh process now and then, so that a slow leak never grows for weeks.
max_requests = 1000
max_requests_jitter = 100

# Only the proxies the app trusts may tell gunicorn that the request came over HTTPS.
forwarded_allow_ips = ",".join(env_networks("TRUSTED_PROXIES"))

# Logs to stdout/stderr: systemd's journal keeps them (journalctl -u chuangwei-web). One line a
# request: client as the proxy saw it, peer, time, request line, status, bytes, milliseconds,
# referrer, browser. No cookies or Authorization header are ever logged.
accesslog = "-"
errorlog = "-"
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")

# gunicorn's control socket would be created under the service account's home, which it has
# none of; it is not needed: systemctl reload sends HUP for a graceful restart.
control_socket_disable = True

# The Server header says "gunicorn" without a version (gunicorn never sends its version), and
# nginx replaces it with its own, without a version either (server_tokens off).
