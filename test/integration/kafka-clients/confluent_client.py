"""confluent-kafka-python (python3-confluent-kafka, librdkafka) driven by the StreamNest
tests: one action per run, its results as one JSON document on stdout.

  confluent_client.py BOOTSTRAP produce TOPIC CODEC N    (idempotent producer)
  confluent_client.py BOOTSTRAP consume TOPIC N
  confluent_client.py BOOTSTRAP group TOPIC GROUP N
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, action = sys.argv[1], sys.argv[2]


def record(m):
    return {
        "offset": m.offset(),
        "partition": m.partition(),
        "key": None if m.key() is None else m.key().decode(),
        "value": m.value().decode(),
        "headers": [[k, v.decode()] for k, v in (m.headers() or [])],
        "timestamp": m.timestamp()[1],
    }


def read(consumer, n):
    out = []
    deadline = time.time() + 30
    while len(out) < n and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise SystemExit("consume error: %s" % m.error())
        out.append(record(m))
    return out


if action == "produce":
    topic, codec, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "compression.type": codec, "linger.ms": 5})
    offsets = []

    def done(err, msg):
        if err is not None:
            raise SystemExit("produce error: %s" % err)
        offsets.append(msg.offset())

    for i in range(n):
        producer.produce(topic, key=b"k%d" % i, value=("%s-%d" % (codec, i)).encode(), headers=[("codec", codec.encode())], timestamp=1700000000000 + i, on_delivery=done)
    left = producer.flush(30)
    print(json.dumps({"offsets": sorted(offsets), "unflushed": left}))
elif action == "consume":
    topic, n = sys.argv[3], int(sys.argv[4])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "confluent-reader-%d" % time.time_ns(), "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    print(json.dumps(read(consumer, n)))
    consumer.close()
elif action == "group":
    topic, group, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = read(consumer, n)
    consumer.commit(asynchronous=False)
    consumer.close()
    print(json.dumps(got))
