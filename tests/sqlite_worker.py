"""One worker of a multi-process web server for tests: the host app on a port of its own.

    python -m tests.sqlite_worker CONFIG_JSON PORT

Four of these on one SQLite file are what a 4-worker gunicorn is to the
database: separate processes, separate connections, one file.
"""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server


def main(config_json: str, port: str) -> None:
    from . import hostapp

    app = hostapp.create_app(json.loads(config_json))
    server = make_server("127.0.0.1", int(port), app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
