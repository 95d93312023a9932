#!/usr/bin/env python3
"""Serve the Postorius + HyperKitty site (settings.py) over HTTP for the e2e test.

  serve.py [--port N] [--init]

Binds 127.0.0.1:N (0: a port the OS picks) first and prints {"port": N}, so mailroom
can be started with HyperKitty's URL while Django migrates. When MAILMAN_REST_API_URL
is not in the environment it is read as one line from stdin (mailroom's URL, known
only once mailroom is up). --init migrates the SQLite database and creates the
superuser WEBUI_ADMIN / WEBUI_ADMIN_PASSWORD (address WEBUI_ADMIN@example.com, verified). Prints {"ready": true} when serving.
Django's threaded WSGI server (runserver's) is enough for a test; a site runs uwsgi.
"""
import argparse
import io
import json
import os
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--init', action='store_true')
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    sock.listen(64)
    port = sock.getsockname()[1]
    say({'port': port})

    if not os.environ.get('MAILMAN_REST_API_URL'):
        os.environ['MAILMAN_REST_API_URL'] = sys.stdin.readline().strip()
    sys.path.insert(0, HERE)
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')
    import django
    django.setup()
    from django.core.management import call_command
    if args.init:
        call_command('migrate', verbosity=0, interactive=False)
        from django.contrib.auth import get_user_model
        User = get_user_model()
        name = os.environ.get('WEBUI_ADMIN', 'admin')
        if not User.objects.filter(username=name).exists():
            user = User.objects.create_superuser(name, name + '@example.com', os.environ['WEBUI_ADMIN_PASSWORD'])
            # Verified, as allauth's confirmation mail would leave it: Postorius offers it to subscribe.
            from allauth.account.models import EmailAddress
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        # Only failed requests in the test's log, not every 200.
        def log_request(self, code='-', size='-'):
            if str(getattr(code, 'value', code))[:1] in '45':
                super().log_request(code, size)

    def reporting(app):
        """Each archive POST's Message-ID and answer as a JSON line: the test counts what reached HyperKitty."""
        def wrapped(environ, start_response):
            if environ['REQUEST_METHOD'] != 'POST' or not environ['PATH_INFO'].endswith('/api/mailman/archive'):
                return app(environ, start_response)
            body = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
            environ['wsgi.input'] = io.BytesIO(body)
            found = re.search(rb'^Message-ID:\s*<([^>\r\n]+)>', body, re.I | re.M)
            msgid = found.group(1).decode('latin-1') if found else None

            def start(status, headers, exc_info=None):
                say({'archive': int(status.split()[0]), 'messageId': msgid})
                return start_response(status, headers, exc_info)
            return app(environ, start)
        return wrapped
    server = ThreadedWSGIServer(('127.0.0.1', port), QuietHandler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_bind = lambda: None
    server.server_name, server.server_port = '127.0.0.1', port
    server.setup_environ()
    server.set_app(reporting(get_internal_wsgi_application()))
    say({'ready': True})
    server.serve_forever()


if __name__ == '__main__':
    main()
