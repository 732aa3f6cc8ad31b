"""Puts breaching data into the log-derived metrics and records which alarms LocalStack evaluated.

Run by main.tf's terraform_data (phase "probe"); the environment names the endpoint, the namespace,
the two alarms and the result file.
"""

import datetime
import json
import os
import time

import boto3

env = os.environ
cw = boto3.client(
    "cloudwatch",
    endpoint_url=env["PROBE_ENDPOINT"],
    region_name=env["PROBE_REGION"],
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
simple, math = env["PROBE_SIMPLE"], env["PROBE_MATH"]


def states():
    alarms = cw.describe_alarms(AlarmNames=[simple, math])["MetricAlarms"]
    return {a["AlarmName"]: a["StateValue"] for a in alarms}


def put():
    now = datetime.datetime.now(datetime.timezone.utc)
    cw.put_metric_data(
        Namespace=env["PROBE_NAMESPACE"],
        MetricData=[
            {"MetricName": "HttpServerErrors", "Value": 10, "Unit": "Count", "Timestamp": now},
            {"MetricName": "HttpRequests", "Value": 10, "Unit": "Count", "Timestamp": now},
        ],
    )


# LocalStack evaluates a 60 s alarm every 60 s over the last minute: put data again every 20 s so
# that each evaluation finds some, and give it three evaluations.
start = time.monotonic()
seen = states()
while time.monotonic() - start < 200:
    put()
    time.sleep(20)
    seen = states()
    if seen.get(simple) == "ALARM":
        break
seen["waited_seconds"] = round(time.monotonic() - start)
with open(env["PROBE_RESULT_FILE"], "w") as f:
    json.dump(seen, f)
print(json.dumps(seen))
