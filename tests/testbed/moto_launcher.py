"""Starts moto server on a free loopback port for one test or demo run.

Prints the port on the first line of stdout once the server is listening,
and exits when stdin closes, so the server never outlives the process that
started it, even if that process is killed.

Beside moto's own API it serves, under /_testbed/:
  GET /_testbed/calls          every AWS API call received, as
                               [{"service": ..., "action": ...}], in order
  GET /_testbed/sns/published  every SNS publish to a topic, in the order
                               SNS accepted them (across topics), with its
                               raw Message (all protocols' bodies when
                               MessageStructure=json), Subject and attributes
Both read moto's real state; nothing here answers for AWS.

  POST   /_testbed/faults      {"service": "sns", "action": "Publish",
                               "kind": ..., "count": N, "delay_ms": M}
                               makes the next N matching calls fail (or
                               wait): kind is "status_500" or "status_503"
                               (an AWS-shaped InternalFailure or
                               ServiceUnavailable), "throttling" (the
                               protocol's throttling error, HTTP 400),
                               "reset" (the connection is closed with no
                               response), "delay" (the call waits M ms,
                               then reaches moto) or "denied" (HTTP 403,
                               EC2's UnauthorizedOperation, else
                               AccessDenied)
  DELETE /_testbed/faults      clears every fault not yet used up
Faulted calls are still recorded in /_testbed/calls: they reached the server.

  POST   /_testbed/ec2/stale-reads
                               {"instance_id": "i-...", "count": N,
                                "state": "pending", "omit_state": false,
                                "omit_tags": false, "missing": null}
                               makes the next N DescribeInstances answers
                               naming that instance show what an eventually
                               consistent read of EC2 can: the instance in
                               another state ("state") or with no state
                               ("omit_state"), without its tag set
                               ("omit_tags": the Tags list left out, as EC2
                               leaves it out for an untagged instance), or
                               not listed at all ("missing": "error" for
                               InvalidInstanceID.NotFound, "empty" for an
                               empty reservation list). Only the answer
                               changes: the instance itself, and what
                               DescribeTags says about it, stay as they are.
  DELETE /_testbed/ec2/stale-reads
                               clears every stale read not yet used up
  POST   /_testbed/emr/steps   {"cluster_id": "j-...", "cluster_state":
                               "WAITING", "steps": {"s-...": "PENDING"}}
                               sets the states of a cluster's steps and of
                               the cluster in moto's model, to show moments
                               moto skips: EMR keeps a cluster WAITING while
                               a step just submitted is PENDING (moto marks
                               the step RUNNING and the cluster RUNNING at
                               once), and a long-running cluster goes back
                               to WAITING once its steps are COMPLETED (moto
                               never finishes a step). moto then answers
                               DescribeCluster and ListSteps from that state.

CloudWatch: aws-sdk-cloudwatch (1.100 and later) speaks the Smithy RPC v2
CBOR protocol, which moto serves itself from 5.2.6. The launcher only reads
the action of such a request from its path (/service/<Service>/operation/<Op>)
for /_testbed/calls and /_testbed/faults, and answers injected faults in that
protocol: a CBOR map with `__type` and `message`, plus the awsQueryCompatible
header `x-amzn-query-error: <Code>;<Sender|Receiver>` that CloudWatch sends
and the SDK reads the error code from (see the "Smithy RPC v2 CBOR" block).

With --ssl-cert and --ssl-key it serves HTTPS only (`make bench`, so that TLS
costs what it does against AWS); without them, plain HTTP. --host and --port
choose the address (default 127.0.0.1 and a free port): `make test-sam-local`
serves it on a Docker network's gateway, port 443, where the functions'
containers reach it under AWS's own host names.
"""

import json
import re
import socket
import struct
import sys
import threading
import time
import uuid
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
    operation = rpc_v2_cbor_operation(environ)
    if operation:
        return service, operation
    if body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        if action:
            return service, action
    return service, environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", "")


# The order in which moto accepted each SNS message, by MessageId: moto keeps
# each topic's messages apart, so without it two topics' messages could not
# be put back in publish order.
publish_order = {}
publish_order_lock = threading.Lock()


def record_publish_order():
    """Wraps moto's Topic.publish to number every accepted message."""
    from moto.sns.models import Topic

    publish = Topic.publish

    def numbered_publish(self, *args, **kwargs):
        message_id = publish(self, *args, **kwargs)
        with publish_order_lock:
            publish_order[message_id] = len(publish_order)
        return message_id

    Topic.publish = numbered_publish


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
    with publish_order_lock:
        messages.sort(key=lambda message: publish_order.get(message["message_id"], -1))
    return messages


faults = []
faults_lock = threading.Lock()

FAULT_KINDS = ("status_500", "status_503", "throttling", "reset", "delay", "denied")


def take_fault(service, action):
    """The first fault matching this call that has uses left, using one."""
    with faults_lock:
        for fault in faults:
            if fault["remaining"] > 0 and fault["service"] == service and fault["action"] == action:
                fault["remaining"] -= 1
                return fault
    return None


# --- Smithy RPC v2 CBOR (CloudWatch) ----------------------------------------
# https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2-cbor.html
# moto (5.2.6 and later) serves the protocol itself; this block only lets the
# test bed's own layer name the action and shape injected errors like AWS.

RPC_V2_CBOR_PATH = re.compile(r"/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")


def is_rpc_v2_cbor(environ):
    return environ.get("HTTP_SMITHY_PROTOCOL", "") == "rpc-v2-cbor"


def rpc_v2_cbor_operation(environ):
    """The operation a Smithy RPC v2 CBOR request names in its path, or None."""
    if not is_rpc_v2_cbor(environ):
        return None
    match = RPC_V2_CBOR_PATH.search(environ.get("PATH_INFO", ""))
    return match["operation"] if match else None


def rpc_v2_cbor_error(status, code, fault_type, message, request_id):
    """An error as an awsQueryCompatible RPC v2 CBOR service (CloudWatch)
    sends it: a CBOR map with `__type` and `message`, and the Query code and
    fault in `x-amzn-query-error`, from which the SDK takes the error code.
    Encoded with moto's own CBOR encoder, the one its answers use."""
    from moto.core import cbor

    body = cbor.dumps({"__type": code, "message": message})
    headers = [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-query-error", f"{code};{fault_type}"),
        ("x-amzn-RequestId", request_id),
        ("Content-Length", str(len(body))),
    ]
    return status, headers, body


# --- end of Smithy RPC v2 CBOR -----------------------------------------------


def is_json_protocol(environ):
    content_type = environ.get("CONTENT_TYPE", "")
    return bool(environ.get("HTTP_X_AMZ_TARGET")) or "json" in content_type


def error_response(environ, service, status, code, fault_type, message):
    """An error in the shape the called protocol uses, so the SDK parses
    and classifies it as it would AWS's own."""
    request_id = str(uuid.uuid4())
    if is_rpc_v2_cbor(environ):
        return rpc_v2_cbor_error(status, code, fault_type, message, request_id)
    if is_json_protocol(environ):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [
            ("Content-Type", environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
    elif service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = (
            f"<ErrorResponse><Error><Type>{fault_type}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


def throttling_code(environ, service):
    if is_rpc_v2_cbor(environ):
        # CloudWatch's Query-protocol code, which it keeps under CBOR
        # (awsQueryCompatible).
        return "Throttling"
    if is_json_protocol(environ):
        return "ThrottlingException"
    if service == "ec2":
        return "RequestLimitExceeded"
    return "Throttling"


def reset_connection(environ):
    """Closes the client's connection with a TCP reset and no response."""
    connection = environ.get("werkzeug.socket")
    if connection is None:
        raise RuntimeError("werkzeug did not expose the connection; cannot inject a reset")
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.shutdown(socket.SHUT_RDWR)


EMR_CLUSTER_STATES = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
EMR_STEP_STATES = ("PENDING", "CANCEL_PENDING", "RUNNING", "COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED")


def set_emr_steps(request):
    """Sets step and cluster states in moto's EMR model (see the docstring)."""
    from moto.emr.models import emr_backends

    cluster_id = str(request["cluster_id"])
    cluster_state = str(request["cluster_state"])
    steps = {str(key): str(value) for key, value in dict(request["steps"]).items()}
    if cluster_state not in EMR_CLUSTER_STATES:
        raise ValueError(f"cluster_state must be one of {EMR_CLUSTER_STATES}, got {cluster_state!r}")
    for state in steps.values():
        if state not in EMR_STEP_STATES:
            raise ValueError(f"step states must be in {EMR_STEP_STATES}, got {state!r}")
    for account_id, regions in emr_backends.items():
        for region, backend in regions.items():
            cluster = backend.clusters.get(cluster_id)
            if cluster is None:
                continue
            by_id = {step.id: step for step in cluster.steps}
            unknown = sorted(set(steps) - set(by_id))
            if unknown:
                raise ValueError(f"cluster {cluster_id} has no steps {unknown}")
            for step_id, state in steps.items():
                by_id[step_id].state = state
            cluster.state = cluster_state
            return {"cluster_id": cluster_id, "cluster_state": cluster_state, "steps": steps}
    raise ValueError(f"no cluster {cluster_id}")


def add_fault(request):
    kind = request.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
    fault = {
        "service": str(request["service"]),
        "action": str(request["action"]),
        "kind": kind,
        "remaining": int(request.get("count", 1)),
        "delay_ms": int(request.get("delay_ms", 0)),
    }
    with faults_lock:
        faults.append(fault)
    return fault


stale_reads = []
stale_reads_lock = threading.Lock()

# EC2's instance state codes, by name.
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
MISSING_KINDS = (None, "error", "empty")


def add_stale_read(request):
    missing = request.get("missing")
    if missing not in MISSING_KINDS:
        raise ValueError(f"missing must be one of {MISSING_KINDS}, got {missing!r}")
    state = request.get("state")
    if state is not None and not isinstance(state, str):
        raise ValueError(f"state must be a state name, got {state!r}")
    stale = {
        "instance_id": str(request["instance_id"]),
        "remaining": int(request.get("count", 1)),
        "state": state,
        "omit_state": bool(request.get("omit_state", False)),
        "omit_tags": bool(request.get("omit_tags", False)),
        "missing": missing,
    }
    with stale_reads_lock:
        stale_reads.append(stale)
    return stale


def take_stale_read(instance_ids):
    """The first stale read for one of these instances that has uses left, using one."""
    with stale_reads_lock:
        for stale in stale_reads:
            if stale["remaining"] > 0 and stale["instance_id"] in instance_ids:
                stale["remaining"] -= 1
                return dict(stale)
    return None


class StaleInstance:
    """An instance as a stale DescribeInstances answer shows it: every
    attribute moto's serializer reads comes from the real instance, except
    the state and the tag set when the stale read replaces them."""

    TAG_NAMES = ("Tags", "tags", "tagSet", "tag_set", "tag_list")
    STATE_NAMES = ("State", "state", "instanceState", "instance_state")

    def __init__(self, instance, stale):
        self._instance = instance
        self._stale = stale

    def __getattr__(self, name):
        stale = self._stale
        if stale["omit_tags"] and name in self.TAG_NAMES:
            return None
        if name in self.STATE_NAMES:
            if stale["omit_state"]:
                return None
            if stale["state"] is not None:
                from moto.ec2.models.instances import InstanceState

                return InstanceState(stale["state"], STATE_CODES.get(stale["state"], 0))
        return getattr(self._instance, name)


def install_stale_reads():
    import copy

    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.responses.instances import InstanceResponse

    original = InstanceResponse.describe_instances

    def describe_instances(self):
        instance_ids = self._get_param("InstanceIds", [])
        stale = take_stale_read(instance_ids) if instance_ids else None
        if stale is None:
            return original(self)
        if stale["missing"] == "error":
            raise InvalidInstanceIdError(stale["instance_id"])
        if stale["missing"] == "empty":
            return ActionResult({"Reservations": [], "NextToken": None})
        result = original(self)
        shown = []
        for reservation in result.result["Reservations"]:
            reservation = copy.copy(reservation)
            reservation.instances = [
                StaleInstance(instance, stale) if instance.id == stale["instance_id"] else instance
                for instance in reservation.instances
            ]
            shown.append(reservation)
        result.result["Reservations"] = shown
        return result

    InstanceResponse.describe_instances = describe_instances


# The test bed's POST endpoints: each reads a JSON body and answers what
# its setter returns, or 400 naming what was wrong.
SETTERS = {
    "/_testbed/faults": (add_fault, "fault"),
    "/_testbed/emr/steps": (set_emr_steps, "EMR steps"),
    "/_testbed/ec2/stale-reads": (add_stale_read, "stale read"),
}


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
            elif path in SETTERS and environ.get("REQUEST_METHOD") == "POST":
                setter, what = SETTERS[path]
                length = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    payload = setter(json.loads(environ["wsgi.input"].read(length) or b"{}"))
                except (KeyError, TypeError, ValueError) as error:
                    message = f"bad {what}: {error!r}".encode()
                    start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(message)))])
                    return [message]
            elif path == "/_testbed/faults" and environ.get("REQUEST_METHOD") == "DELETE":
                with faults_lock:
                    faults.clear()
                payload = []
            elif path == "/_testbed/faults":
                with faults_lock:
                    payload = [dict(fault) for fault in faults]
            elif path == "/_testbed/ec2/stale-reads" and environ.get("REQUEST_METHOD") == "DELETE":
                with stale_reads_lock:
                    stale_reads.clear()
                payload = []
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
        fault = take_fault(service, action)
        if fault is not None:
            kind = fault["kind"]
            if kind == "delay":
                time.sleep(fault["delay_ms"] / 1000)
            elif kind == "reset":
                reset_connection(environ)
                # werkzeug's write of these headers then fails on the closed
                # socket, and it drops the connection quietly.
                start_response("500 Internal Server Error", [("Content-Length", "0")])
                return []
            else:
                if kind == "status_500":
                    response = error_response(environ, service, "500 Internal Server Error", "InternalFailure", "Receiver", f"injected fault: {action} failed")
                elif kind == "status_503":
                    response = error_response(environ, service, "503 Service Unavailable", "ServiceUnavailable", "Receiver", f"injected fault: {action} is unavailable")
                elif kind == "denied":
                    code = "UnauthorizedOperation" if service == "ec2" else "AccessDenied"
                    response = error_response(environ, service, "403 Forbidden", code, "Sender", f"injected fault: you are not authorized to perform {action}")
                else:
                    response = error_response(environ, service, "400 Bad Request", throttling_code(environ, service), "Sender", "Rate exceeded")
                status, headers, body = response
                start_response(status, headers)
                return [body]
        return self.app(environ, start_response)


def main():
    import argparse

    import moto_patches

    parser = argparse.ArgumentParser(description="moto for one test run")
    # `make bench` serves moto over TLS only, so that TLS costs what it does
    # against AWS; tests and the demo use plain HTTP.
    parser.add_argument("--ssl-cert", help="PEM server certificate: serve HTTPS instead of HTTP")
    parser.add_argument("--ssl-key", help="PEM private key of --ssl-cert")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = parser.parse_args()
    if bool(args.ssl_cert) != bool(args.ssl_key):
        parser.error("--ssl-cert and --ssl-key go together")
    ssl_context = (args.ssl_cert, args.ssl_key) if args.ssl_cert else None

    moto_patches.apply()
    record_publish_order()
    install_stale_reads()
    app = Testbed(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
