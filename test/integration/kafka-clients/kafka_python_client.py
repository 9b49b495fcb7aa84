"""kafka-python (python3-kafka 2.0.2) driven by the StreamNest tests: one action per run,
its results as one JSON document on stdout.

  kafka_python_client.py BOOTSTRAP produce TOPIC CODEC N
  kafka_python_client.py BOOTSTRAP consume TOPIC N
  kafka_python_client.py BOOTSTRAP group TOPIC GROUP N
  kafka_python_client.py BOOTSTRAP version
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap, action = sys.argv[1], sys.argv[2]


def record(m):
    return {
        "offset": m.offset,
        "partition": m.partition,
        "key": None if m.key is None else m.key.decode(),
        "value": m.value.decode(),
        "headers": [[k, v.decode()] for k, v in m.headers],
        "timestamp": m.timestamp,
    }


def read(consumer, n):
    out = []
    for m in consumer:
        out.append(record(m))
        if len(out) >= n:
            break
    return out


if action == "version":
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    print(json.dumps({"api_version": list(consumer.config["api_version"])}))
    consumer.close()
elif action == "produce":
    topic, codec, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec)
    offsets = []
    for i in range(n):
        meta = producer.send(topic, key=b"k%d" % i, value=("%s-%d" % (codec, i)).encode(), headers=[("codec", codec.encode())], timestamp_ms=1700000000000 + i).get(timeout=20)
        offsets.append(meta.offset)
    producer.close()
    print(json.dumps({"offsets": offsets}))
elif action == "consume":
    topic, n = sys.argv[3], int(sys.argv[4])
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=20000, enable_auto_commit=False)
    print(json.dumps(read(consumer, n)))
    consumer.close()
elif action == "group":
    topic, group, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", consumer_timeout_ms=20000, enable_auto_commit=False)
    got = read(consumer, n)
    consumer.commit()
    consumer.close()
    print(json.dumps(got))
