import { available, hasPythonModule } from "../helpers/external-client.ts";
import { pythonClientSuite } from "./kafka-python-clients.ts";

/** confluent-kafka-python (python3-confluent-kafka over librdkafka): idempotent producer, every codec librdkafka has. */
const present = available("confluent-kafka-python", hasPythonModule("confluent_kafka"), "apt-get install -y python3-confluent-kafka");

pythonClientSuite("confluent-kafka-python", "confluent_client.py", ["none", "gzip", "snappy", "lz4", "zstd"], present);
