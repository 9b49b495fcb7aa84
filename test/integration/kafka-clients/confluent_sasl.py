"""confluent-kafka-python over SASL (sasl_plaintext) for the StreamNest tests: one action
per run, its outcome as one JSON document on stdout ({"ok": ...} or {"error": NAME}).

  confluent_sasl.py BOOTSTRAP MECHANISM USER PASSWORD produce TOPIC N
  confluent_sasl.py BOOTSTRAP MECHANISM USER PASSWORD consume TOPIC GROUP N
  confluent_sasl.py BOOTSTRAP MECHANISM USER PASSWORD topics
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

bootstrap, mechanism, user, password, action = sys.argv[1:6]
security = {
    "bootstrap.servers": bootstrap,
    "security.protocol": "sasl_plaintext",
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": password,
}
errors = []


def on_error(err):
    errors.append(err.name())


def answer(doc):
    print(json.dumps(doc))
    sys.exit(0)


if action == "topics":
    admin = AdminClient({**security, "error_cb": on_error})
    try:
        meta = admin.list_topics(timeout=4)
    except KafkaException as e:
        admin.poll(1)  # error_cb runs from poll: the authentication error it was told
        answer({"error": e.args[0].name(), "seen": errors})
    answer({"ok": sorted(meta.topics.keys())})

if action == "produce":
    topic, n = sys.argv[6], int(sys.argv[7])
    producer = Producer({**security, "error_cb": on_error, "message.timeout.ms": 8000})
    results = []
    for i in range(n):
        producer.produce(topic, value=("m%d" % i).encode(), on_delivery=lambda err, msg: results.append(err.name() if err else msg.offset()))
    producer.flush(15)
    answer({"ok": results, "seen": errors})

if action == "consume":
    topic, group, n = sys.argv[6], sys.argv[7], int(sys.argv[8])
    consumer = Consumer({**security, "group.id": group, "auto.offset.reset": "earliest", "error_cb": on_error})
    consumer.subscribe([topic])
    out = []
    deadline = time.time() + 15
    while len(out) < n and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            consumer.close()
            answer({"error": m.error().name()})
        out.append(m.value().decode())
    consumer.close()
    answer({"ok": out, "seen": errors})
