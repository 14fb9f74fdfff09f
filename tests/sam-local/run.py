"""`make test-sam-local`: every function of the SAM build, run by
`sam local invoke` in a Lambda container on its sample events from events/,
against moto, checking what each invocation returned and what it changed.

The functions run as deployed: the template's code and environment, the
SDK's own endpoint resolution, TLS. Nothing in the production configuration
points at an emulator. Instead:

  * moto (tests/testbed/moto_launcher.py) serves HTTPS on port 443 of the
    gateway of a Docker network made for the run, with a certificate for
    AWS's host names (sns.eu-west-1.amazonaws.com, iam.amazonaws.com, ...)
    signed by a throw-away CA;
  * `--add-host` maps each of those names to that gateway inside the
    function's container, whose trust store holds the CA;
  * `--env-vars` gives the template's declared variables (topic ARNs, table
    name, settings) the values of the resources the driver made in moto;
    SAM passes moto's fake credentials and the region from the environment.

The container image: the real Lambda base image
(public.ecr.aws/lambda/provided:al2023-x86_64) with the CA added, when it
can be pulled; otherwise a stand-in imported from a minimal root file
system: the host's glibc libraries the bootstraps link against (they need
glibc 2.30 or later), a static busybox (Debian: busybox-static) for the
shell SAM's image build runs, and the CA bundle. SAM adds its Lambda
runtime emulator on top either way (`--invoke-image`).

Needs a Docker daemon. Without one it prints `SKIPPED: no Docker daemon`
and exits 0, unless WATCHKEEPER_REQUIRE_DOCKER=1 (CI), when it fails.
Expects `SAM_BUILD_MODE=debug sam build --config-env x86_64` to have run
(the Makefile sees to it). Prints one line per invocation: function,
event, result.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
BUILD = ROOT / ".aws-sam" / "build"
LAUNCHER = ROOT / "tests" / "testbed" / "moto_launcher.py"

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
# The SDK's endpoints for the services the functions call in REGION (and
# the global IAM and STS ones), each mapped to moto in the container.
REGIONAL_SERVICES = [
    "sns",
    "dynamodb",
    "ec2",
    "monitoring",
    "iam",
    "sts",
    "elasticmapreduce",
    "cloudformation",
    "codecommit",
    "ssm",
]
HOST_NAMES = [f"{service}.{REGION}.amazonaws.com" for service in REGIONAL_SERVICES] + [
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    # DynamoDB's account-based endpoint, used when credentials carry an account id.
    f"{ACCOUNT_ID}.ddb.{REGION}.amazonaws.com",
]
REAL_BASE_IMAGE = "public.ecr.aws/lambda/provided:al2023-x86_64"
# Where a Debian or Amazon Linux program looks for trusted roots.
TRUST_STORES = ["etc/ssl/certs/ca-certificates.crt", "etc/pki/tls/certs/ca-bundle.crt"]
INVOKE_TIMEOUT_SECONDS = 120

# Template logical ids, by the binary (crate) name.
FUNCTIONS = {
    "ec2-alarm-creator": "EC2AlarmCreatorFunction",
    "ami-permission-notifier": "AMIPermissionNotifierFunction",
    "idle-emr-terminator": "IdleEmrTerminatorFunction",
    "codecommit-change-publisher": "CodeCommitChangePublisherFunction",
    "health-event-forwarder": "HealthEventForwarderFunction",
}


class Failure(Exception):
    """A check failed or the bed could not be set up; the message says which."""


def log(text: str) -> None:
    print(text, flush=True)


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command, failing with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise Failure(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


# --- Docker -------------------------------------------------------------------


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


class Network:
    """A Docker bridge network of the run's own; moto listens on its gateway."""

    def __init__(self, name: str):
        self.name = name
        run(["docker", "network", "create", name])
        config = json.loads(run(["docker", "network", "inspect", name, "-f", "{{json .IPAM.Config}}"]).stdout)
        gateways = [entry.get("Gateway") for entry in config if entry.get("Gateway")]
        if not gateways:
            raise Failure(f"docker network {name} has no gateway address: {config}")
        self.gateway = gateways[0]

    def remove(self) -> None:
        subprocess.run(["docker", "network", "rm", self.name], capture_output=True)


# --- TLS ----------------------------------------------------------------------


@dataclass
class Certificates:
    ca: Path
    server_certificate: Path
    server_key: Path


def openssl(*args: str) -> None:
    if shutil.which("openssl") is None:
        raise Failure("openssl is needed to make the run's throw-away CA")
    run(["openssl", *args])


def make_certificates(directory: Path, ip: str) -> Certificates:
    """A throw-away CA (valid 2 days) and a certificate signed by it for AWS's
    host names and the gateway address, as bench/src/tls.rs makes them."""
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    key, csr, certificate = directory / "server.key", directory / "server.csr", directory / "server.pem"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", str(ca_key), "-out", str(ca),
        "-subj", "/CN=Watchkeeper sam-local throw-away CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=amazonaws.com")
    names = ",".join([f"DNS:{name}" for name in HOST_NAMES] + [f"IP:{ip}"])
    extensions = directory / "server.ext"
    extensions.write_text(
        f"subjectAltName={names}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-days", "2", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-extfile", str(extensions), "-out", str(certificate),
    )  # fmt: skip
    return Certificates(ca=ca, server_certificate=certificate, server_key=key)


# --- The function image ---------------------------------------------------------


def bootstraps() -> dict:
    """Each function's built bootstrap, checked to be an x86-64 executable."""
    found = {}
    for binary, logical_id in FUNCTIONS.items():
        path = BUILD / logical_id / "bootstrap"
        if not path.is_file():
            raise Failure(f"{path} is missing: run `SAM_BUILD_MODE=debug sam build --config-env x86_64` first")
        header = path.read_bytes()[:20]
        # ELF, e_machine 62 (x86-64) at offset 18: an arm64 build (plain
        # `sam build`) cannot run here.
        if header[:4] != b"\x7fELF" or int.from_bytes(header[18:20], "little") != 62:
            raise Failure(f"{path} is not an x86-64 executable: build with `sam build --config-env x86_64`")
        found[binary] = path
    return found


def shared_libraries(executable: Path) -> list:
    """The absolute paths of the libraries `ldd` lists for an executable,
    its program interpreter included."""
    output = run(["ldd", str(executable)]).stdout
    paths = []
    for line in output.splitlines():
        words = line.split()
        if "=>" in words:
            target = words[words.index("=>") + 1]
            if target.startswith("/"):
                paths.append(target)
        elif words and words[0].startswith("/"):
            paths.append(words[0])
    return paths


def standin_root(directory: Path, executables: list, ca: Path) -> Path:
    """A minimal root file system as a tar file: the libraries the
    bootstraps link against at the paths ldd names, a static busybox as
    /bin/sh (and the mv and chmod SAM's image build runs), the CA as the
    trust store, and /tmp."""
    busybox = shutil.which("busybox")
    if busybox is None:
        raise Failure("busybox is missing: install a static one (Debian: apt-get install busybox-static)")
    ldd = subprocess.run(["ldd", busybox], capture_output=True, text=True)
    if "not a dynamic executable" not in ldd.stdout + ldd.stderr:
        raise Failure(f"{busybox} is not static: install busybox-static")
    libraries = sorted({library for executable in executables for library in shared_libraries(executable)})
    archive = directory / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:

        def add_directory(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)

        def add_file(source: Path, name: str, mode: int) -> None:
            info = tar.gettarinfo(str(source), arcname=name)
            info.mode, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, "root", "root"
            with open(source, "rb") as stream:
                tar.addfile(info, stream)

        def add_link(name: str, target: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
            tar.addfile(info)

        made = set()

        def parents(name: str) -> None:
            parts = name.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory_name = "/".join(parts[:depth])
                if directory_name not in made:
                    made.add(directory_name)
                    add_directory(directory_name)

        for name in ["bin", "etc", "var", "var/task", "var/runtime", "opt"]:
            parents(name + "/x")
        add_directory("tmp", 0o1777)
        add_file(Path(busybox), "bin/busybox", 0o755)
        for applet in ["sh", "mv", "chmod", "cp", "rm", "mkdir", "ls", "cat"]:
            add_link(f"bin/{applet}", "busybox")
        for library in libraries:
            name = library.lstrip("/")
            parents(name)
            add_file(Path(os.path.realpath(library)), name, 0o755)
        for store in TRUST_STORES:
            parents(store)
            add_file(ca, store, 0o644)
        passwd = directory / "passwd"
        passwd.write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        add_file(passwd, "etc/passwd", 0o644)
    return archive


def real_image_with_ca(ca: Path, tag: str) -> Optional[str]:
    """The real Lambda base image with the CA appended to its trust store,
    committed as `tag`, or None when the image cannot be pulled."""
    present = subprocess.run(["docker", "image", "inspect", REAL_BASE_IMAGE], capture_output=True).returncode == 0
    if not present:
        try:
            pulled = subprocess.run(["docker", "pull", REAL_BASE_IMAGE], capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return None
        if pulled.returncode != 0:
            return None
    container = f"{tag.replace(':', '-')}-ca"
    script = 'for store in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt; do [ -e "$store" ] && cat /tmp/watchkeeper-ca.pem >> "$(readlink -f "$store")"; done; true'
    run(
        ["docker", "run", "--name", container, "-v", f"{ca}:/tmp/watchkeeper-ca.pem:ro",
         "--entrypoint", "/bin/sh", REAL_BASE_IMAGE, "-c", script]
    )  # fmt: skip
    try:
        run(["docker", "commit", container, tag])
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    return tag


def function_image(directory: Path, tag: str, executables: list, ca: Path) -> str:
    """The image `sam local invoke --invoke-image` starts from; says which."""
    if os.environ.get("WATCHKEEPER_SAM_LOCAL_IMAGE", "") != "stand-in":
        image = real_image_with_ca(ca, tag)
        if image is not None:
            log(f"Function image: {REAL_BASE_IMAGE} with the run's CA added ({tag})")
            return image
        log(f"Function image: {REAL_BASE_IMAGE} cannot be pulled here; using a local stand-in")
    archive = standin_root(directory, executables, ca)
    run(["docker", "import", str(archive), tag])
    log(f"Function image: stand-in {tag}: the host's glibc, a static busybox, the run's CA")
    return tag


# --- moto ---------------------------------------------------------------------


class Moto:
    """moto over TLS on the network's gateway, port 443."""

    def __init__(self, host: str, certificates: Certificates):
        self.host = host
        self.endpoint = f"https://{host}"
        self.ca = certificates.ca
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--host", host, "--port", "443",
             "--ssl-cert", str(certificates.server_certificate), "--ssl-key", str(certificates.server_key)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        first_line: list = []
        reader = threading.Thread(target=lambda: first_line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        if not first_line or not first_line[0].strip().isdigit():
            self.process.kill()
            error = self.process.stderr.read() if self.process.poll() is not None else "no answer within 60 s"
            raise Failure(f"moto did not start on {host}:443: {error}")
        # Drain moto's request log so that a full pipe never stalls it.
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            verify=str(self.ca),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def testbed(self, path: str):
        import requests

        response = requests.get(f"{self.endpoint}/_testbed/{path}", verify=str(self.ca), timeout=30)
        response.raise_for_status()
        return response.json()

    def published(self) -> list:
        return self.testbed("sns/published")


# --- Invocations ----------------------------------------------------------------


@dataclass
class Invocation:
    function: str
    event_name: str
    event: dict
    settings: dict = field(default_factory=dict)
    # Checks the returned JSON and moto's state; returns a short summary.
    check: Callable = None


class Bed:
    def __init__(self, moto: Moto, network: Network, image: str, work: Path):
        self.moto, self.network, self.image, self.work = moto, network, image, work
        self.resources: dict = {}
        self.count = 0
        # moto's published messages before the invocation being checked.
        self.published_before = 0

    def environment(self, function: str, settings: dict) -> dict:
        variables = {
            "WARNING_TOPIC_ARN": self.resources["warning_topic_arn"],
            "CRITICAL_TOPIC_ARN": self.resources["critical_topic_arn"],
            "IDEMPOTENCY_TABLE": self.resources["table"],
            "HOME_ACCOUNT_ID": ACCOUNT_ID,
        }
        variables.update(settings)
        return {FUNCTIONS[function]: variables}

    def sam_environment(self) -> dict:
        """The environment for SAM: moto's fake credentials and the test
        region, which SAM passes into the container, and no AWS settings of
        the caller's. SAM itself asks STS for the account id before each
        invoke: that goes to moto too (AWS_ENDPOINT_URL_STS, trusting the
        run's CA), never to AWS with fake credentials. SAM passes neither
        into the container."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        environment.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL_STS": self.moto.endpoint,
                "AWS_CA_BUNDLE": str(self.moto.ca),
                "SAM_CLI_TELEMETRY": "0",
                "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            }
        )
        return environment

    def invoke(self, invocation: Invocation) -> None:
        self.count += 1
        event_file = self.work / f"event-{self.count}.json"
        event_file.write_text(json.dumps(invocation.event))
        env_file = self.work / f"env-{self.count}.json"
        env_file.write_text(json.dumps(self.environment(invocation.function, invocation.settings)))
        command = [
            "sam", "local", "invoke", FUNCTIONS[invocation.function],
            # samconfig.toml's x86_64 environment: Architecture=x86_64 and
            # the Fn::ForEach expansion. (SAM reads samconfig.toml beside the
            # template it is given, so no --template: it finds the build's.)
            "--config-env", "x86_64",
            "--event", str(event_file),
            "--env-vars", str(env_file),
            "--invoke-image", self.image,
            "--skip-pull-image",
            "--docker-network", self.network.name,
            "--region", REGION,
        ]  # fmt: skip
        for name in HOST_NAMES:
            command += ["--add-host", f"{name}:{self.moto.host}"]
        self.published_before = len(self.moto.published())
        started = time.monotonic()
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, cwd=ROOT, env=self.sam_environment(), timeout=INVOKE_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired as error:
            log(f"FAIL {invocation.function:<28} {invocation.event_name:<44} no answer within {INVOKE_TIMEOUT_SECONDS} s")
            raise Failure(f"{invocation.function} on {invocation.event_name}: sam local invoke took over {INVOKE_TIMEOUT_SECONDS} s\n{error.stderr}")
        seconds = time.monotonic() - started
        label = f"{invocation.function:<28} {invocation.event_name:<44}"
        returned = last_json_line(result.stdout)
        if result.returncode != 0 or returned is None:
            log(f"FAIL {label} sam local invoke exited {result.returncode}")
            raise Failure(f"{invocation.function} on {invocation.event_name}: no result\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        try:
            summary = invocation.check(self, returned)
        except Failure as failure:
            log(f"FAIL {label} {json.dumps(returned)}")
            raise Failure(f"{invocation.function} on {invocation.event_name}: {failure}\nreturned: {json.dumps(returned, indent=2)}\nfunction log:\n{result.stderr}")
        log(f"ok   {label} {summary}  ({seconds:.1f} s)")


def last_json_line(stdout: str):
    """The function's answer: SAM prints it as the last line of stdout."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


# --- Checks -------------------------------------------------------------------


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def skipped(code: str, effect: Optional[Callable] = None) -> Callable:
    """The function skipped the event with `code`, and published nothing."""

    def check(bed: Bed, returned: dict) -> str:
        expect(returned.get("result") == "skipped", f"expected result skipped, got {returned.get('result')!r}")
        expect(returned.get("code") == code, f"expected skip code {code!r}, got {returned.get('code')!r}")
        if effect is not None:
            effect(bed, returned)
        nothing_published(bed)
        return f"skipped: {code}"

    return check


def nothing_published(bed: Bed) -> None:
    published = bed.moto.published()[bed.published_before :]
    expect(not published, f"published {[message['subject'] for message in published]}, expected nothing")


def published_message(bed: Bed, message_id: str) -> dict:
    for message in bed.moto.published():
        if message["message_id"] == message_id:
            return message
    raise Failure(f"message {message_id} is not among moto's published messages")


def notified(severity: str, topic: str, subject: Optional[str] = None, result: str = "notified") -> Callable:
    """The function published one notification of `severity` to the
    `topic` ("warning" or "critical") topic, which moto holds."""

    def check(bed: Bed, returned: dict) -> str:
        expect(returned.get("result") == result, f"expected result {result}, got {returned.get('result')!r}")
        expect(returned.get("severity") == severity, f"expected severity {severity}, got {returned.get('severity')!r}")
        topic_arn = bed.resources[f"{topic}_topic_arn"]
        expect(returned.get("topic_arn", topic_arn) == topic_arn, f"expected the {topic} topic, got {returned.get('topic_arn')}")
        message = published_message(bed, returned["message_id"])
        new = bed.moto.published()[bed.published_before :]
        expect(len(new) == 1, f"expected one message published, moto has {len(new)} new")
        expect(message["topic_arn"] == topic_arn, f"published to {message['topic_arn']}, not the {topic} topic")
        expect(message["subject"] == returned["subject"], f"moto has subject {message['subject']!r}, the function said {returned['subject']!r}")
        if subject is not None:
            expect(message["subject"] == subject, f"expected subject {subject!r}, got {message['subject']!r}")
        attributes = message["message_attributes"]
        expect(attributes.get("severity", {}).get("Value") == severity, f"message attribute severity is {attributes.get('severity')}")
        return f"{result}: {severity} -> {topic} topic, \"{message['subject']}\""

    return check


def failed(error_type: str, fragment: str) -> Callable:
    """The invocation failed (Lambda's error response) with `error_type`."""

    def check(bed: Bed, returned: dict) -> str:
        expect(returned.get("errorType") == error_type, f"expected errorType {error_type}, got {returned}")
        expect(fragment in returned.get("errorMessage", ""), f"expected {fragment!r} in the error message")
        nothing_published(bed)
        return f"error {error_type}: {returned['errorMessage']}"

    return check


# --- moto's resources -----------------------------------------------------------


def create_shared_resources(bed: Bed) -> None:
    """What the stack would create for every function: the two topics and
    the idempotency table, as template.yaml defines them."""
    sns = bed.moto.client("sns")
    bed.resources["warning_topic_arn"] = sns.create_topic(Name="watchkeeper-warning")["TopicArn"]
    bed.resources["critical_topic_arn"] = sns.create_topic(Name="watchkeeper-critical")["TopicArn"]
    dynamodb = bed.moto.client("dynamodb")
    table = "watchkeeper-idempotency"
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
    )
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"AttributeName": "expires_at", "Enabled": True})
    bed.resources["table"] = table
    bed.moto.client("iam").create_account_alias(AccountAlias="prod-acct")


# --- Each function's invocations --------------------------------------------------


def with_instance(name: str, instance_id: str) -> dict:
    event = load(name)
    event["detail"]["instance-id"] = instance_id
    event["resources"] = [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/{instance_id}"]
    return event


def ec2_alarm_creator(bed: Bed) -> list:
    ec2 = bed.moto.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def run_instance() -> str:
        return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]

    def seed_alarms(instance_id: str) -> None:
        """The two disk alarms a running event would have made, put directly."""
        cloudwatch = bed.moto.client("cloudwatch")
        for level in ["warning", "critical"]:
            cloudwatch.put_metric_alarm(
                AlarmName=f"watchkeeper-{instance_id}-disk-space-{level}",
                Namespace="System/Linux",
                MetricName="DiskSpaceUtilization",
                Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
                Statistic="Average",
                Period=300,
                EvaluationPeriods=2,
                Threshold=80,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )

    def reconciled(instance_id: str, put: int, deleted: int, remaining: int) -> Callable:
        def check(bed: Bed, returned: dict) -> str:
            expect(returned.get("result") == "reconciled", f"expected reconciled, got {returned.get('result')!r}")
            expect(returned.get("instance_id") == instance_id, f"reconciled {returned.get('instance_id')}, not {instance_id}")
            expect(len(returned.get("alarms_put", [])) == put, f"expected {put} alarms put, got {returned.get('alarms_put')}")
            expect(len(returned.get("alarms_deleted", [])) == deleted, f"expected {deleted} alarms deleted, got {returned.get('alarms_deleted')}")
            alarms = bed.moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"watchkeeper-{instance_id}-")["MetricAlarms"]
            names = sorted(alarm["AlarmName"] for alarm in alarms)
            expect(len(names) == remaining, f"moto has alarms {names} for {instance_id}, expected {remaining}")
            topics = {bed.resources["warning_topic_arn"], bed.resources["critical_topic_arn"]}
            for alarm in alarms if put else []:
                # The topics come from the template's variables, given by --env-vars.
                expect(set(alarm["AlarmActions"]) <= topics and alarm["AlarmActions"], f"{alarm['AlarmName']} notifies {alarm['AlarmActions']}")
            nothing_published(bed)
            return f"reconciled {instance_id}: {put} alarms put, {deleted} deleted; moto has {len(names)}"

        return check

    def swept(bed: Bed, returned: dict) -> str:
        # The events above deleted the alarms of three instances that moto
        # still runs (the stop events were made up): the sweep, which reads
        # EC2's state, puts them back; the terminated one's stay gone.
        expect(returned.get("result") == "swept", f"expected result swept, got {returned.get('result')!r}")
        expect(returned.get("instances") == 5, f"expected 5 running instances swept, got {returned.get('instances')}")
        put = sorted(returned.get("alarms_put", []))
        wanted = sorted(f"watchkeeper-{i}-disk-space-{level}" for i in [stopping, stopped, shutting_down] for level in ["warning", "critical"])
        expect(put == wanted, f"the sweep put {put}, expected {wanted}")
        expect(not returned.get("alarms_deleted"), f"the sweep deleted {returned.get('alarms_deleted')}")
        names = [a["AlarmName"] for a in bed.moto.client("cloudwatch").describe_alarms(AlarmNamePrefix="watchkeeper-")["MetricAlarms"]]
        expect(len(names) == 10 and not any(terminated in name for name in names), f"moto has alarms {names}")
        nothing_published(bed)
        return f"swept: {returned['instances']} running instances, {len(put)} alarms put back, moto has {len(names)}"

    running = run_instance()
    retagged = run_instance()
    tag_change = load("ec2-instance-tag-change.json")
    tag_change["resources"] = [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/{retagged}"]
    stopping, stopped, shutting_down, terminated = (run_instance() for _ in range(4))
    for instance_id in [stopping, stopped, shutting_down, terminated]:
        seed_alarms(instance_id)
    ec2.terminate_instances(InstanceIds=[terminated])
    return [
        Invocation("ec2-alarm-creator", "ec2-instance-pending.json", with_instance("ec2-instance-pending.json", running),
                   check=skipped("state_needs_no_change")),
        Invocation("ec2-alarm-creator", "ec2-instance-running.json", with_instance("ec2-instance-running.json", running),
                   check=reconciled(running, put=2, deleted=0, remaining=2)),
        Invocation("ec2-alarm-creator", "ec2-instance-stopping.json", with_instance("ec2-instance-stopping.json", stopping),
                   check=reconciled(stopping, put=0, deleted=2, remaining=0)),
        Invocation("ec2-alarm-creator", "ec2-instance-stopped.json", with_instance("ec2-instance-stopped.json", stopped),
                   check=reconciled(stopped, put=0, deleted=2, remaining=0)),
        Invocation("ec2-alarm-creator", "ec2-instance-shutting-down.json", with_instance("ec2-instance-shutting-down.json", shutting_down),
                   check=reconciled(shutting_down, put=0, deleted=2, remaining=0)),
        Invocation("ec2-alarm-creator", "ec2-instance-terminated.json", with_instance("ec2-instance-terminated.json", terminated),
                   check=reconciled(terminated, put=0, deleted=2, remaining=0)),
        # A tag change on a running instance: its alarms are put at once,
        # from the instance's tags as EC2 reads them now.
        Invocation("ec2-alarm-creator", "ec2-instance-tag-change.json", tag_change,
                   check=reconciled(retagged, put=2, deleted=0, remaining=2)),
        Invocation("ec2-alarm-creator", "ec2-alarm-sweep-schedule.json", load("ec2-alarm-sweep-schedule.json"), check=swept),
    ]  # fmt: skip


AMI_EXPECTED = {
    "ami-public.json": ("critical", "critical"),
    "ami-private.json": ("info", "warning"),
    "ami-share.json": ("warning", "warning"),
    "ami-unshare.json": ("info", "warning"),
    "ami-share-organization.json": ("info", "warning"),
    "ami-share-ou.json": ("warning", "warning"),
    "ami-add-and-remove.json": ("critical", "critical"),
    "ami-denied.json": ("warning", "warning"),
    "ami-aws-service.json": ("info", "warning"),
    "snapshot-share.json": ("warning", "warning"),
    "block-public-access-image-disabled.json": ("critical", "critical"),
    "block-public-access-snapshot-disabled.json": ("critical", "critical"),
    "block-public-access-image-enabled.json": ("info", "warning"),
    "block-public-access-snapshot-block-all-sharing.json": ("info", "warning"),
    "block-public-access-snapshot-block-new-sharing.json": ("warning", "warning"),
    "snapshot-public.json": ("critical", "critical"),
}


def ami_permission_notifier(bed: Bed) -> list:
    # The trusted accounts the function's own tests use; the rest are defaults.
    settings = {"TRUSTED_ACCOUNTS": "222233334444, arn:aws:organizations::999900001111:organization/o-abc1234567"}
    invocations = [
        Invocation("ami-permission-notifier", name, load(name), settings, notified(severity, topic))
        for name, (severity, topic) in AMI_EXPECTED.items()
    ]
    # REPORT_OTHER_ATTRIBUTES is false by default: a description change is skipped.
    invocations.append(
        Invocation("ami-permission-notifier", "ami-description.json", load("ami-description.json"), settings, skipped("other_attribute"))
    )
    # Not EventBridge events: bad events, so the invocation fails and Lambda
    # would send them to the dead-letter queue.
    for name in ["cloudtrail-log-records.json", "cloudtrail-record-raw.json"]:
        invocations.append(Invocation("ami-permission-notifier", name, load(name), settings, failed("BadEvent", "not an EventBridge event")))
    return invocations


def emr_cluster(bed: Bed, name: str) -> str:
    return bed.moto.client("emr").run_job_flow(
        Name=name,
        ReleaseLabel="emr-7.1.0",
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Instances={
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 3,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
    )["JobFlowId"]


def cluster_state(bed: Bed, cluster_id: str) -> str:
    return bed.moto.client("emr").describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]


def idle_history(bed: Bed, cluster_id: str, minutes: int = 75) -> None:
    """IsIdle = 1 every minute for `minutes`, as EMR publishes it for an idle cluster."""
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    data = [
        {
            "MetricName": "IsIdle",
            "Dimensions": [{"Name": "JobFlowId", "Value": cluster_id}],
            "Timestamp": now - timedelta(minutes=ago),
            "Value": 1.0,
        }
        for ago in range(minutes + 1)
    ]
    bed.moto.client("cloudwatch").put_metric_data(Namespace="AWS/ElasticMapReduce", MetricData=data)


def with_cluster(name: str, cluster_id: str) -> dict:
    return json.loads((EVENTS / name).read_text().replace("j-2AXXXXXXGAPLF", cluster_id))


def idle_emr_terminator(bed: Bed) -> list:
    # The clusters were made a moment ago: no minimum age. Dry run is the
    # template's default; one alarm runs with it off.
    dry_run = {"MINIMUM_AGE_MINUTES": "0"}
    live = {"MINIMUM_AGE_MINUTES": "0", "DRY_RUN": "false"}

    def checked(cluster_id: str, outcome: str, state: str, subject_start: str) -> Callable:
        def check(bed: Bed, returned: dict) -> str:
            expect(returned.get("result") == "checked", f"expected checked, got {returned.get('result')!r}")
            results = {cluster["cluster_id"]: cluster for cluster in returned.get("clusters", [])}
            expect(cluster_id in results, f"{cluster_id} is not among the checked clusters {list(results)}")
            result = results[cluster_id]
            expect(result.get("outcome") == outcome, f"expected outcome {outcome} for {cluster_id}, got {result}")
            now = cluster_state(bed, cluster_id)
            expect(now == state, f"{cluster_id} is {now} in moto, expected {state}")
            message = published_message(bed, result["message_id"])
            new = bed.moto.published()[bed.published_before :]
            expect(len(new) == 1, f"expected one notice, moto has {[m['subject'] for m in new]}")
            expect(message["subject"].startswith(subject_start), f"subject {message['subject']!r} does not start {subject_start!r}")
            others = [f"{key}: {value.get('outcome')}" for key, value in results.items() if key != cluster_id]
            rest = f"; {', '.join(others)}" if others else ""
            return f"checked {cluster_id}: {outcome}, {now} in moto, \"{message['subject']}\"{rest}"

        return check

    sns_alarm = emr_cluster(bed, "analytics-adhoc")
    eventbridge_alarm = emr_cluster(bed, "reporting")
    metric_math_alarm = emr_cluster(bed, "ml-training")
    metric_math_eventbridge = emr_cluster(bed, "ml-tuning")
    one_minute_alarm = emr_cluster(bed, "nightly")
    ok_alarm = emr_cluster(bed, "adhoc")
    swept = emr_cluster(bed, "forgotten")
    idle_history(bed, swept)

    def ok_unchanged(bed: Bed, returned: dict) -> None:
        expect(cluster_state(bed, ok_alarm) == "WAITING", f"{ok_alarm} changed on an OK alarm")

    return [
        Invocation("idle-emr-terminator", "emr-idle-alarm-sns.json", with_cluster("emr-idle-alarm-sns.json", sns_alarm), live,
                   checked(sns_alarm, "terminated", "TERMINATED", "Terminated idle EMR cluster")),
        Invocation("idle-emr-terminator", "emr-idle-alarm-eventbridge.json", with_cluster("emr-idle-alarm-eventbridge.json", eventbridge_alarm), dry_run,
                   checked(eventbridge_alarm, "would_terminate", "WAITING", "Dry run: would terminate")),
        Invocation("idle-emr-terminator", "emr-idle-alarm-metric-math.json", with_cluster("emr-idle-alarm-metric-math.json", metric_math_alarm), dry_run,
                   checked(metric_math_alarm, "would_terminate", "WAITING", "Dry run: would terminate")),
        Invocation("idle-emr-terminator", "emr-idle-alarm-eventbridge-metric-math.json",
                   with_cluster("emr-idle-alarm-eventbridge-metric-math.json", metric_math_eventbridge), dry_run,
                   checked(metric_math_eventbridge, "would_terminate", "WAITING", "Dry run: would terminate")),
        Invocation("idle-emr-terminator", "emr-idle-alarm-one-minute.json", with_cluster("emr-idle-alarm-one-minute.json", one_minute_alarm), dry_run,
                   checked(one_minute_alarm, "would_terminate", "WAITING", "Dry run: would terminate")),
        Invocation("idle-emr-terminator", "emr-idle-alarm-ok.json", with_cluster("emr-idle-alarm-ok.json", ok_alarm), dry_run,
                   skipped("alarm_not_actionable", ok_unchanged)),
        Invocation("idle-emr-terminator", "emr-sweep-schedule.json", load("emr-sweep-schedule.json"), dry_run,
                   checked(swept, "would_terminate", "WAITING", "Dry run: would terminate")),
    ]  # fmt: skip


def codecommit_change_publisher(bed: Bed) -> list:
    # A deleted branch is reported without reading the repository. Pushes,
    # created branches and tags are read with GetCommit and GetDifferences,
    # which moto lacks (the tests use a CodeCommit stand-in of their own);
    # here they are run with a setting that leaves them alone, each a
    # different one.
    def published(bed: Bed, returned: dict) -> str:
        expect(returned.get("result") == "published", f"expected published, got {returned.get('result')!r}")
        message = published_message(bed, returned["message_id"])
        expect(len(bed.moto.published()) == bed.published_before + 1, "expected exactly one message published")
        expect(message["topic_arn"] == bed.resources["warning_topic_arn"], "not published to the warning topic")
        expect(message["subject"] == returned["subject"], f"moto has subject {message['subject']!r}")
        return f"published: {returned['severity']} -> warning topic, \"{message['subject']}\""

    return [
        Invocation("codecommit-change-publisher", "codecommit-branch-deleted.json", load("codecommit-branch-deleted.json"), {}, published),
        Invocation("codecommit-change-publisher", "codecommit-unreferenced-merge-commit.json", load("codecommit-unreferenced-merge-commit.json"), {},
                   skipped("reference_event_not_reported")),
        Invocation("codecommit-change-publisher", "codecommit-branch-updated.json", load("codecommit-branch-updated.json"),
                   {"REPOSITORY_NAMES": "another-repository"}, skipped("repository_filtered")),
        Invocation("codecommit-change-publisher", "codecommit-branch-created.json", load("codecommit-branch-created.json"),
                   {"BRANCH_FILTER": "release/*"}, skipped("branch_filtered")),
        Invocation("codecommit-change-publisher", "codecommit-tag-created.json", load("codecommit-tag-created.json"),
                   {"REPORT_TAGS": "false"}, skipped("tag_not_reported")),
        Invocation("codecommit-change-publisher", "codecommit-trigger-records.json", load("codecommit-trigger-records.json"), {},
                   failed("BadEvent", "not an EventBridge event")),
    ]  # fmt: skip


HEALTH_EXPECTED = {
    "health-public-issue.json": ("critical", "critical"),
    "health-account-issue.json": ("critical", "critical"),
    "health-scheduled-retirement.json": ("warning", "warning"),
    "health-account-notification.json": ("info", "warning"),
    "health-organization-issue.json": ("critical", "critical"),
    "health-organization-update-account-a.json": ("warning", "warning"),
    "health-organization-update-account-b.json": ("warning", "warning"),
    "health-multi-page.json": ("warning", "warning"),
    "health-abuse.json": ("critical", "critical"),
    "health-2000-entities.json": ("warning", "warning"),
    "health-closed-issue.json": ("critical", "critical"),
}


def health_event_forwarder(bed: Bed) -> list:
    invocations = [
        Invocation("health-event-forwarder", name, load(name), {}, notified(severity, topic))
        for name, (severity, topic) in HEALTH_EXPECTED.items()
    ]

    # The same event again, as EventBridge may deliver it: a duplicate, nothing sent.
    def duplicate(bed: Bed, returned: dict) -> str:
        expect(returned.get("result") == "duplicate", f"expected duplicate, got {returned.get('result')!r}")
        nothing_published(bed)
        return f"duplicate: nothing sent again (handled {returned.get('handled_at')})"

    invocations.append(Invocation("health-event-forwarder", "health-public-issue.json (again)", load("health-public-issue.json"), {}, duplicate))
    # AWS Health's backup-region copy of the same update: a duplicate too.
    invocations.append(Invocation("health-event-forwarder", "health-public-issue-backup.json", load("health-public-issue-backup.json"), {}, duplicate))
    # A filter setting, through the template's variable, on a later update
    # of an event (the update already sent would be a duplicate).
    update = load("health-account-notification.json")
    update["detail"]["lastUpdatedTime"] = "2026-11-15T17:00:00Z"
    invocations.append(
        Invocation("health-event-forwarder", "health-account-notification.json (update)", update,
                   {"MINIMUM_SEVERITY": "warning"}, filtered("below_minimum_severity"))
    )  # fmt: skip
    return invocations


def filtered(code: str) -> Callable:
    def check(bed: Bed, returned: dict) -> str:
        expect(returned.get("result") == "filtered", f"expected filtered, got {returned.get('result')!r}")
        expect(returned.get("code") == code, f"expected code {code}, got {returned.get('code')!r}")
        nothing_published(bed)
        return f"filtered: {code}"

    return check


INVOCATIONS = {
    "ec2-alarm-creator": ec2_alarm_creator,
    "ami-permission-notifier": ami_permission_notifier,
    "idle-emr-terminator": idle_emr_terminator,
    "codecommit-change-publisher": codecommit_change_publisher,
    "health-event-forwarder": health_event_forwarder,
}

# --- Main -----------------------------------------------------------------------


# Samples no function is invoked on here, each with the reason. Every other
# file in events/ must be invoked: a new sample is run through SAM too.
NOT_INVOKED = {
    "emr-idle-alarm-sns-no-arn.json": "a China-region (cn-north-1) alarm message without AlarmArn; "
    "its placement by the topic's region is a unit test (trigger.rs), and the stand-in maps eu-west-1 only",
}


def main() -> int:
    # `run.py [FUNCTION...]`: only these functions' invocations.
    only = sys.argv[1:]
    unknown = [name for name in only if name not in FUNCTIONS]
    if unknown:
        log(f"unknown functions {unknown}; the functions are {', '.join(FUNCTIONS)}")
        return 1
    started = time.monotonic()
    if not docker_answers():
        if os.environ.get("WATCHKEEPER_REQUIRE_DOCKER") == "1":
            log("FAILED: sam local invoke: no Docker daemon answers `docker info`, and WATCHKEEPER_REQUIRE_DOCKER=1")
            return 1
        log("SKIPPED: no Docker daemon: `docker info` does not answer, so the functions were not run by `sam local invoke`")
        return 0
    executables = list(bootstraps().values())
    run_id = uuid.uuid4().hex[:8]
    name = f"watchkeeper-sam-local-{run_id}"
    work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    network = moto = image = None
    try:
        network = Network(name)
        certificates = make_certificates(work, network.gateway)
        image = function_image(work, f"{name}:base", executables, certificates.ca)
        moto = Moto(network.gateway, certificates)
        log(f"moto: https://{network.gateway}:443 on docker network {name}; the functions reach it as {', '.join(HOST_NAMES)}")
        bed = Bed(moto, network, image, work)
        create_shared_resources(bed)
        failures = []
        invoked = set()
        for function, build in INVOCATIONS.items():
            if only and function not in only:
                continue
            for invocation in build(bed):
                invoked.add(invocation.event_name.split(" ")[0])
                try:
                    bed.invoke(invocation)
                except Failure as failure:
                    failures.append(str(failure))
        elapsed = time.monotonic() - started
        if not only:
            samples = {path.name for path in EVENTS.glob("*.json")}
            for sample in sorted(samples - invoked - set(NOT_INVOKED)):
                failures.append(f"FAIL {sample}: no function is invoked on it; add an invocation or list it in NOT_INVOKED with the reason")
        if failures:
            for failure in failures:
                log(f"\n{failure}")
            log(f"\nsam local invoke: {len(failures)} of {bed.count} invocations FAILED ({elapsed:.0f} s)")
            return 1
        log(f"sam local invoke: {bed.count} invocations of {len(only or FUNCTIONS)} functions passed ({elapsed:.0f} s)")
        return 0
    except Failure as failure:
        log(f"FAILED: {failure}")
        return 1
    finally:
        if moto is not None:
            moto.stop()
        if image is not None:
            # SAM's own layer on top of it, then the image.
            subprocess.run(["docker", "image", "rm", "-f", f"{name}:rapid-x86_64", image], capture_output=True)
        if network is not None:
            network.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
