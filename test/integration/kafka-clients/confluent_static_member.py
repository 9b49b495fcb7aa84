"""One static consumer (KIP-345) of a group, for kafka-static-membership.test.ts.

argv: bootstrap topic group instance seconds
Prints one JSON line per event: {"event": "assign"|"revoke", "partitions": [...]}, and
{"event": "done"} when the time is up. It never closes the consumer: a static member
that stops sends no LeaveGroup, and a kill -9 of this process is the crash under test.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group, instance, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])


def say(event, partitions=None):
    line = {"event": event}
    if partitions is not None:
        line["partitions"] = sorted(p.partition for p in partitions)
    print(json.dumps(line), flush=True)


consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.instance.id": instance,
        "session.timeout.ms": 20000,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
)
consumer.subscribe([topic], on_assign=lambda c, ps: say("assign", ps), on_revoke=lambda c, ps: say("revoke", ps))
deadline = time.time() + seconds
while time.time() < deadline:
    consumer.poll(0.2)
say("done")
os._exit(0)
