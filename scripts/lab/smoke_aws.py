"""Smoke test of the AWS emulators through boto3 (run by scripts/lab/smoke.sh).

Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables printed by
`scripts/lab/lab.sh env`, exactly as the project's own SDK clients get them.
Exits non-zero with a message on the first thing that does not work.
"""

import json
import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import botocore

RUN = uuid.uuid4().hex[:12]
NOW = datetime.now(timezone.utc)


def fail(msg):
    print(f"smoke: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print(f"smoke: ok: {msg}")


def client(service):
    return boto3.client(service, region_name=os.environ.get("AWS_REGION", "us-east-1"))


def wire_protocol(c):
    """Records the Content-Type of the requests a client sends, to report the wire protocol."""
    seen = []

    def hook(request, **_):
        ct = request.headers.get("Content-Type") or ""
        seen.append(ct.decode() if isinstance(ct, bytes) else ct)

    c.meta.events.register("before-send", hook)
    return seen


def cloudwatch_client(force_protocol=None):
    """boto3 picks the first protocol of its own priority list that the service model offers
    (for CloudWatch: `json`, i.e. awsJson1_0). The Rust SDK speaks Smithy RPC v2 CBOR, so the
    smoke test also forces botocore's CBOR serializer to prove LocalStack accepts it."""
    if force_protocol is None:
        return client("cloudwatch")
    import botocore.model as model
    saved = model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (force_protocol,) + tuple(
        p for p in saved if p != force_protocol)
    try:
        session = boto3.session.Session()
        return session.client("cloudwatch", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    finally:
        model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = saved


def cloudwatch(force_protocol=None):
    cw = cloudwatch_client(force_protocol)
    seen = wire_protocol(cw)
    ns, name = "ShopLab/Smoke", "SmokeCount"
    dims = [{"Name": "Run", "Value": f"{RUN}-{force_protocol or 'default'}"}]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": name, "Dimensions": dims, "Timestamp": NOW, "Value": 3.0, "Unit": "Count"},
        {"MetricName": name, "Dimensions": dims, "Timestamp": NOW, "Value": 4.0, "Unit": "Count"},
    ])
    listed = cw.list_metrics(Namespace=ns, MetricName=name, Dimensions=dims)["Metrics"]
    if not listed:
        fail("CloudWatch ListMetrics did not return the metric just put")
    res = cw.get_metric_data(
        MetricDataQueries=[{
            "Id": "m1",
            "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                           "Period": 60, "Stat": "Sum"},
        }],
        StartTime=NOW - timedelta(minutes=5), EndTime=NOW + timedelta(minutes=5),
    )["MetricDataResults"][0]
    if sum(res.get("Values", [])) != 7.0:
        fail(f"CloudWatch GetMetricData Sum: expected 7.0, got {res.get('Values')}")
    ok(f"CloudWatch PutMetricData/ListMetrics/GetMetricData (Sum=7.0) via "
       f"{cw.meta.service_model.resolved_protocol} (Content-Type {', '.join(sorted(set(seen)))}) "
       f"at {cw.meta.endpoint_url}")


def logs():
    lg = client("logs")
    group, stream = f"/shop-lab/smoke/{RUN}", "smoke"
    lg.create_log_group(logGroupName=group)
    try:
        lg.create_log_stream(logGroupName=group, logStreamName=stream)
        msg = f"smoke log line {RUN}"
        lg.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
            {"timestamp": int(time.time() * 1000), "message": msg}])
        got = [e["message"] for e in lg.get_log_events(
            logGroupName=group, logStreamName=stream, startFromHead=True)["events"]]
        if msg not in got:
            fail(f"CloudWatch Logs GetLogEvents: expected {msg!r}, got {got!r}")
    finally:
        lg.delete_log_group(logGroupName=group)
    ok(f"CloudWatch Logs CreateLogGroup/PutLogEvents/GetLogEvents via "
       f"{lg.meta.service_model.resolved_protocol} at {lg.meta.endpoint_url}")


def sqs():
    q = client("sqs")
    url = q.create_queue(QueueName=f"shop-lab-smoke-{RUN}")["QueueUrl"]
    try:
        q.send_message(QueueUrl=url, MessageBody=RUN)
        msgs = q.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if not msgs or msgs[0]["Body"] != RUN:
            fail(f"SQS: message not received back from {url}")
    finally:
        q.delete_queue(QueueUrl=url)
    ok(f"SQS CreateQueue/SendMessage/ReceiveMessage (queue URL {url})")


def xray():
    xr = client("xray")
    trace_id = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    seg_id = uuid.uuid4().hex[:16]
    start = time.time()
    doc = {"name": "shop-lab-smoke", "id": seg_id, "trace_id": trace_id,
           "start_time": start, "end_time": start + 0.01,
           "annotations": {"run": RUN}}
    res = xr.put_trace_segments(TraceSegmentDocuments=[json.dumps(doc)])
    if res.get("UnprocessedTraceSegments"):
        fail(f"X-Ray PutTraceSegments left unprocessed segments: {res['UnprocessedTraceSegments']}")
    traces = xr.batch_get_traces(TraceIds=[trace_id])["Traces"]
    if not traces:
        fail(f"X-Ray BatchGetTraces returned no trace for {trace_id}")
    docs = [json.loads(s["Document"]) for s in traces[0]["Segments"]]
    if not any(d.get("id") == seg_id and d.get("annotations", {}).get("run") == RUN for d in docs):
        fail(f"X-Ray BatchGetTraces did not return the segment: {docs!r}")
    ok(f"X-Ray PutTraceSegments/BatchGetTraces (trace {trace_id}) at {xr.meta.endpoint_url}")


def main():
    print(f"smoke: boto3 {boto3.__version__}, botocore {botocore.__version__}")
    for var in ("AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
                "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_XRAY"):
        if not os.environ.get(var):
            fail(f"{var} is not set (eval \"$(scripts/lab/lab.sh env)\")")
    checks = [("cloudwatch", cloudwatch), ("cloudwatch-cbor", lambda: cloudwatch("smithy-rpc-v2-cbor")),
              ("logs", logs), ("sqs", sqs), ("xray", xray)]
    for name, check in checks:
        try:
            check()
        except botocore.exceptions.BotoCoreError as e:
            fail(f"{name}: {e}")
        except botocore.exceptions.ClientError as e:
            fail(f"{name}: {e}")


if __name__ == "__main__":
    main()
