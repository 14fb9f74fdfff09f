"""Starts moto server on a free loopback port for one test or demo run.

Prints the port on the first line of stdout once the server is listening,
and exits when stdin closes, so the server never outlives the process that
started it, even if that process is killed.

Beside moto's own API it serves, under /_testbed/:
  GET /_testbed/calls          every AWS API call received, as
                               [{"service": ..., "action": ...}], in order
  GET /_testbed/sns/published  every SNS publish to a topic, with its raw
                               Message (all protocols' bodies when
                               MessageStructure=json), Subject and attributes
Both read moto's real state; nothing here answers for AWS.
"""

import json
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

calls = []
calls_lock = threading.Lock()


def service_and_action(environ, body):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            service = scope[3]
    if target:
        return service, target.rsplit(".", 1)[-1]
    if body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        if action:
            return service, action
    return service, environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", "")


def published_messages():
    from moto.sns.models import sns_backends

    messages = []
    for account_id, regions in sns_backends.items():
        for region, backend in regions.items():
            for topic in backend.topics.values():
                for message_id, message, subject, attributes, group_id in topic.sent_notifications:
                    messages.append(
                        {
                            "topic_arn": topic.arn,
                            "message_id": message_id,
                            "message": message,
                            "subject": subject,
                            "message_attributes": attributes or {},
                        }
                    )
    return messages


class Testbed:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_testbed/"):
            if path == "/_testbed/calls":
                with calls_lock:
                    payload = list(calls)
            elif path == "/_testbed/sns/published":
                payload = published_messages()
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"unknown testbed path"]
            body = json.dumps(payload).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        service, action = service_and_action(environ, body)
        with calls_lock:
            calls.append({"service": service, "action": action})
        return self.app(environ, start_response)


def main():
    import moto_patches

    moto_patches.apply()
    app = Testbed(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
