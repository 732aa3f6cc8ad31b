"""Alert verification (O-ALERT-04): fault flags drive the alarms Terraform made to ALARM and back.

Run by main.tf's terraform_data (phase "check") after envs/local was applied to the test's own
LocalStack.

1. The gaps, shown first (nothing else writes logs yet): one log line put into the access log
   group, an EMF document in the shape the otel path's awsemf exporter writes for the otel alarms'
   namespace and dimensions, breaching them. Every metric filter counts it (LocalStack's community
   build matches any pattern: its matcher is a stub), and no metric comes of the EMF (LocalStack
   does not extract EMF). So in the lab the log-derived count alarms cannot be proven, and the
   otel alarms have nothing to evaluate: the collector built here has no AWS exporters either
   (the Go module proxy does not serve them, collector/builder-config.yaml).
2. The awssdk shop (the binary `make test` built; a fresh SQLite database; its own fault-flag file,
   docs/faults.md): X-Ray to moto, metrics (PutMetricData) to this LocalStack in the namespace
   the alarms watch, logs to moto (here each PutLogEvents would take seconds per line: LocalStack
   makes one PutMetricData call per line and metric filter). Load: carts and checkouts,
   round-robin over well-stocked products. Flags on (half the checkouts fail with an injected 500,
   every inventory call waits 1.5 s, 40 % of card payments are declined): the checkout-errors,
   latency and card-declines alarms go to ALARM, and each transition reaches the alert topic's SQS
   subscription. Then an outage: only `telemetry_sink_down`, same load, for SINK_DOWN_SECONDS; every
   export fails, metrics included, so the drop count (shop.telemetry.dropped) cannot arrive until
   the sink is back. Flags off, same load: the telemetry-dropped alarm goes to ALARM with the first
   metrics after the outage, and then every alarm back to OK, notified too. At the end the shop
   flushes, and the drops it counted are compared with the sum CloudWatch stored: each delivered
   once. The otel alarms are watched through the same minutes.

Everything observed goes to CHECK_RESULT_FILE as JSON; the terraform test asserts on it.
"""

import datetime
import itertools
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import boto3

env = os.environ
REPO = pathlib.Path(__file__).resolve().parents[5]
LOCALSTACK, MOTO, REGION = env["CHECK_LOCALSTACK"], env["CHECK_MOTO"], env["CHECK_REGION"]
PREFIX, LOG_BASE = env["CHECK_PREFIX"], env["CHECK_LOG_GROUP_BASE"]
SHOP_BIN = env.get("SHOP_LAB_SHOP_BIN") or str(REPO / "target/debug/shop")

# The flags: a checkout failure rate the 5xx count alarm (5 a minute) cannot miss under this load,
# and an inventory delay above the latency alarm's 1 s threshold for every checkout that succeeds.
# And a share of card payments declined, above the card-declines alarm's 5 a minute.
FAULTS_ON = {"checkout_failure_percent": 50, "inventory_latency_ms": 1500, "payment_decline_percent": 40}
# The outage: long enough for a few metric intervals (10 s here) and many spans and log lines to fail.
SINK_DOWN_SECONDS = 30
# The otel alarms' namespace (the collector's awsemf, collector/aws.yaml) and the log-derived one.
OTEL_NAMESPACE = "ObservabilityShopLab/otel"
LOG_NAMESPACE = "ShopLab/Logs"
# How long each phase may take: LocalStack evaluates a one-minute alarm once a minute, over the
# last three minutes (it looks back evaluation periods + 2 and counts a breach anywhere in them),
# so an alarm clears about three minutes after its fault (measured: ALARM in 75 s, OK in 241 s).
WAIT_SECONDS = int(env.get("CHECK_WAIT_SECONDS", "420"))

aws = dict(
    endpoint_url=LOCALSTACK,
    region_name=REGION,
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
cw = boto3.client("cloudwatch", **aws)
sqs = boto3.client("sqs", **aws)
logs = boto3.client("logs", **aws)

ALARMS = {
    "checkout_errors_awssdk": f"{PREFIX}-checkout-errors-awssdk",
    "latency_awssdk": f"{PREFIX}-latency-awssdk",
    "checkout_errors_otel": f"{PREFIX}-checkout-errors-otel",
    "latency_otel": f"{PREFIX}-latency-otel",
    "http_5xx": f"{PREFIX}-http-5xx",
    "payment_declines_card_awssdk": f"{PREFIX}-payment-declines-card-awssdk",
    "telemetry_dropped_awssdk": f"{PREFIX}-telemetry-dropped-awssdk",
}


def log(msg):
    print(f"[alerts] {time.strftime('%H:%M:%S')} {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


class Shop:
    """The shop binary with one backend, a fresh SQLite database and its own fault-flag file."""

    def __init__(self, name, backend, extra_env, workdir):
        self.backend = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.faults = workdir / f"{name}-faults.json"
        self.set_faults(FAULTS_ON)
        data = workdir / f"{name}-data"
        data.mkdir()
        run_env = {k: v for k, v in env.items() if not k.startswith(("SHOP_", "AWS_", "OTEL_"))}
        run_env.update(
            SHOP_TELEMETRY=backend,
            SHOP_LISTEN=f"127.0.0.1:{self.port}",
            SHOP_DATA_DIR=str(data),
            SHOP_FAULTS_FILE=str(self.faults),
            SHOP_SERVICE_NAME="shop",
            SHOP_ENVIRONMENT="lab",
            AWS_REGION=REGION,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
        )
        run_env.update(extra_env)
        self.log_path = workdir / f"{name}-shop.log"
        self.proc = subprocess.Popen(
            [SHOP_BIN], env=run_env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the {backend} shop exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if call("GET", f"{self.base}/api/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            sys.exit(f"the {backend} shop did not answer /api/health in 120 s (log {self.log_path})")
        self.statuses = {}
        self.lock = threading.Lock()
        self.products = in_stock(self.base, 30)
        self.stop_load = threading.Event()
        # Three buyers at once: with every inventory call 1.5 s slow, one alone would make too
        # few checkouts a minute for the error count to be certain to reach its threshold.
        self.load = [threading.Thread(target=self.drive, args=(i,), daemon=True) for i in range(3)]
        log(f"{name} shop ({backend}) on {self.base}")

    def take_statuses(self):
        """The answers counted so far, by status; the count starts again."""
        with self.lock:
            taken, self.statuses = self.statuses, {}
        return taken

    def set_faults(self, flags):
        tmp = self.faults.with_suffix(".tmp")
        tmp.write_text(json.dumps(flags))
        tmp.replace(self.faults)

    def checkout(self, product):
        status, cart = call("POST", f"{self.base}/api/carts", {})
        if status != 201:
            return status
        cart_id = cart["id"]
        status, _ = call(
            "POST", f"{self.base}/api/carts/{cart_id}/items", {"product_id": product, "quantity": 1}
        )
        if status != 201:
            return status
        body = {
            "cart_id": cart_id,
            "email": "alerts@example.com",
            "shipping_address": {
                "name": "Alert Check",
                "line1": "1 Test Street",
                "city": "Tokyo",
                "postal_code": "100-0005",
                "country": "JP",
            },
            "payment": {"token": "tok_visa"},
        }
        status, _ = call("POST", f"{self.base}/api/orders", body, {"Idempotency-Key": str(uuid.uuid4())})
        return status

    def drive(self, buyer):
        # One checkout after another, round-robin over the best-stocked products.
        for product in itertools.cycle(self.products[buyer:] + self.products[:buyer]):
            if self.stop_load.is_set():
                return
            try:
                status = self.checkout(product)
            except OSError as e:
                status = f"error: {e}"
            with self.lock:
                self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            time.sleep(0.3)

    def telemetry(self, action):
        """POST /api/telemetry/flush or GET /api/telemetry/stats (the lab's endpoints)."""
        status, body = call("POST" if action == "flush" else "GET", f"{self.base}/api/telemetry/{action}")
        if status >= 300:
            sys.exit(f"{action}: {status} {body}")
        return body

    def dropped(self):
        """Every item the backend dropped so far, all signals (what shop.telemetry.dropped counts)."""
        stats = self.telemetry("stats")
        return sum(stats["export"][signal]["dropped"] for signal in ("spans", "metrics", "logs"))

    def stop(self):
        self.stop_load.set()
        for t in self.load:
            t.join(timeout=60)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def states():
    found = cw.describe_alarms(AlarmNames=list(ALARMS.values()))["MetricAlarms"]
    by_name = {a["AlarmName"]: a["StateValue"] for a in found}
    missing = [n for n in ALARMS.values() if n not in by_name]
    if missing:
        sys.exit(f"terraform made no alarm named {missing}")
    return {key: by_name[name] for key, name in ALARMS.items()}


def wait_for(want, what):
    """Polls until every alarm in `want` (key -> state) is there; returns the seconds and the
    states each alarm went through."""
    start = time.monotonic()
    seen = {k: [] for k in ALARMS}
    while True:
        now = states()
        for k, s in now.items():
            if not seen[k] or seen[k][-1] != s:
                seen[k].append(s)
        if all(now[k] == s for k, s in want.items()):
            break
        if time.monotonic() - start > WAIT_SECONDS:
            log(f"{what}: gave up after {WAIT_SECONDS} s with {now}")
            break
        time.sleep(5)
    took = round(time.monotonic() - start)
    log(f"{what}: {now} after {took} s")
    return took, seen


def stored_sum(namespace, metric):
    """The sum of every data point CloudWatch stored for `metric` of the service `shop`."""
    now = datetime.datetime.now(datetime.timezone.utc)
    got = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": "service.name", "Value": "shop"}],
        StartTime=now - datetime.timedelta(hours=2),
        EndTime=now + datetime.timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )
    return sum(p["Sum"] for p in got["Datapoints"])


def notifications(queue_url):
    """Every alarm notification in the alert queue: (alarm, old state, new state)."""
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = got.get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            body = json.loads(m["Body"])
            # Raw delivery carries the alarm's JSON; the SNS envelope carries it as Message.
            alarm = json.loads(body["Message"]) if body.get("Type") == "Notification" else body
            out.append([alarm.get("AlarmName"), alarm.get("OldStateValue"), alarm.get("NewStateValue")])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def gaps():
    """One breaching EMF line into the access log group: what the metric filters and the EMF
    extraction make of it."""
    stream = f"alert-check-{uuid.uuid4().hex[:8]}"
    logs.create_log_stream(logGroupName=LOG_BASE, logStreamName=stream)
    now_ms = int(time.time() * 1000)
    emf = {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": OTEL_NAMESPACE,
                    "Dimensions": [["service.name", "http.route"], ["service.name", "http.response.status_code"]],
                    "Metrics": [
                        {"Name": "http.server.request.duration", "Unit": "Seconds"},
                        {"Name": "http.server.requests", "Unit": "Count"},
                    ],
                }
            ],
        },
        "service.name": "shop",
        "http.route": "/api/orders",
        "http.response.status_code": "500",
        "http.server.request.duration": 5.0,
        "http.server.requests": 10,
    }
    start = time.monotonic()
    logs.put_log_events(
        logGroupName=LOG_BASE,
        logStreamName=stream,
        logEvents=[{"timestamp": now_ms, "message": json.dumps(emf)}],
    )
    put_seconds = round(time.monotonic() - start, 1)
    filters = logs.describe_metric_filters(logGroupName=LOG_BASE)["metricFilters"]
    counted = {}
    window = dict(
        StartTime=datetime.datetime.fromtimestamp(now_ms / 1000 - 300, datetime.timezone.utc),
        EndTime=datetime.datetime.fromtimestamp(now_ms / 1000 + 120, datetime.timezone.utc),
        Period=60,
        Statistics=["Sum"],
    )
    for f in filters:
        for t in f["metricTransformations"]:
            points = cw.get_metric_statistics(Namespace=t["metricNamespace"], MetricName=t["metricName"], **window)
            counted[f["filterName"]] = sum(p["Sum"] for p in points["Datapoints"])
    return {
        "put_log_events_seconds": put_seconds,
        "filters": {f["filterName"]: f["filterPattern"] for f in filters},
        # What each filter's metric counted of the one line (a filter sharing its metric with
        # others shows their sum).
        "counted": counted,
        "otel_metrics": len(cw.list_metrics(Namespace=OTEL_NAMESPACE).get("Metrics", [])),
    }


def in_stock(base, want):
    """`want` product ids with the most stock (so the load never runs a product out)."""
    levels = []
    for product in range(1, 121):
        status, level = call("GET", f"{base}/api/inventory/{product}")
        if status == 200:
            levels.append((level["quantity"] - level["low_stock_threshold"], product))
    return [p for _, p in sorted(levels, reverse=True)[:want]]


def main():
    if not os.access(SHOP_BIN, os.X_OK):
        sys.exit(f"no shop binary at {SHOP_BIN}: build it first (cargo build --workspace --all-features --bins --tests), or name one with SHOP_LAB_SHOP_BIN")
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"{PREFIX}-alerts-"))
    queue_url = sqs.get_queue_url(QueueName=f"{PREFIX}-alerts")["QueueUrl"]
    shops = []
    result = {"flags": FAULTS_ON, "alarms": ALARMS, "initial": states()}
    awssdk = {
        "AWS_ENDPOINT_URL_XRAY": MOTO,
        "AWS_ENDPOINT_URL_CLOUDWATCH": LOCALSTACK,
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": MOTO,
        "SHOP_XRAY_SAMPLING_SOURCE": "local",
        # Data points every 10 s, so each of the alarms' one-minute periods has some.
        "SHOP_CW_METRICS_INTERVAL_MS": "10000",
    }
    result["gaps"] = gaps()
    log(f"gaps: {result['gaps']}")
    try:
        shops.append(
            Shop(
                "awssdk",
                "awssdk",
                dict(
                    awssdk,
                    SHOP_CW_NAMESPACE="ShopLab",
                    SHOP_CW_LOG_GROUP=LOG_BASE,
                    SHOP_CW_EMF_LOG_GROUP=f"{LOG_BASE}/metrics",
                ),
                work,
            )
        )
        for s in shops:
            for t in s.load:
                t.start()
        log(f"flags on: {FAULTS_ON}")
        took, seen = wait_for(
            {"checkout_errors_awssdk": "ALARM", "latency_awssdk": "ALARM", "payment_declines_card_awssdk": "ALARM"}, "flags on"
        )
        result["on"] = {"seconds": took, "states": seen, "requests": {s.backend: s.take_statuses() for s in shops}}

        for s in shops:
            s.set_faults({"telemetry_sink_down": True})
        # The shop reads its flags file within a second, and a checkout under way when it did
        # still had the earlier flags (its inventory calls took 1.5 s each): its answer is not
        # counted in this phase.
        time.sleep(5)
        for s in shops:
            s.take_statuses()
        log(f"sink down for {SINK_DOWN_SECONDS} s")
        time.sleep(SINK_DOWN_SECONDS)
        result["sink_down"] = {
            "seconds": SINK_DOWN_SECONDS,
            "dropped": {s.backend: s.dropped() for s in shops},
            "requests": {s.backend: s.take_statuses() for s in shops},
        }

        for s in shops:
            s.set_faults({})
        log("flags off, sink back")
        took, seen = wait_for({"telemetry_dropped_awssdk": "ALARM"}, "sink back")
        result["sink_back"] = {"seconds": took, "states": seen}
        took, seen = wait_for(
            {
                "checkout_errors_awssdk": "OK",
                "latency_awssdk": "OK",
                "payment_declines_card_awssdk": "OK",
                "telemetry_dropped_awssdk": "OK",
            },
            "flags off",
        )
        result["off"] = {"seconds": took, "states": seen, "requests": {s.backend: s.take_statuses() for s in shops}}
        # Every drop delivered once: after a flush nothing is pending, and CloudWatch's sum of
        # shop.telemetry.dropped is the count the shop keeps.
        for s in shops:
            s.telemetry("flush")
        result["drops"] = {
            s.backend: {"counted": s.dropped(), "stored": stored_sum("ShopLab", "shop.telemetry.dropped")} for s in shops
        }
    finally:
        for s in shops:
            s.stop()
    result["notifications"] = [n for n in notifications(queue_url) if n[0] in ALARMS.values()]
    result["final"] = states()
    with open(env["CHECK_RESULT_FILE"], "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))
    shutil.rmtree(work, ignore_errors=True)


main()
