"""Reads the connector's events as a consumer that is not ours would.

confluent-kafka (librdkafka) consumes the topic with isolation.level
read_committed; its own AvroDeserializer fetches each writer schema from the
Confluent-compatible registry by the id in the frame. Every event is checked
against the envelope's rules and printed as one JSON line, for the Go test
(pkg/connector/interop_test.go) to compare with what the simulator served.
"""

import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--brokers", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()

    registry = SchemaRegistryClient({"url": args.registry})
    keys = AvroDeserializer(registry)
    values = AvroDeserializer(registry)
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": "interop-" + uuid.uuid4().hex,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.metrics.push": False,
    })
    consumer.subscribe([args.topic])
    n = 0
    deadline = time.time() + args.timeout
    try:
        while n < args.expect and time.time() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise SystemExit(f"consume: {msg.error()}")
            key = keys(msg.key(), SerializationContext(args.topic, MessageField.KEY))
            env = values(msg.value(), SerializationContext(args.topic, MessageField.VALUE))
            after = env["after"]
            problems = []
            if env["before"] is not None:
                problems.append("before is not null")
            if env["op"] not in ("r", "c", "u"):
                problems.append(f"op {env['op']!r}")
            if after is None or after["id"] != key["id"]:
                problems.append("after.id differs from the key")
            if env["source"]["provider"] != "tiki_lead":
                problems.append(f"source.provider {env['source']['provider']!r}")
            if problems:
                raise SystemExit(f"event {key}: " + ", ".join(problems))
            print(json.dumps({
                "id": after["id"],
                "form_id": after["form_id"],
                "created_at_ms": int(after["created_at"].timestamp() * 1000),
                "inputs": after["inputs"],
                "extra_json": after["extra_json"],
                "op": env["op"],
                "snapshot": env["source"]["snapshot"],
            }, ensure_ascii=False))
            n += 1
    finally:
        consumer.close()
    print(f"interop: {n} events decoded", file=sys.stderr)
    if n < args.expect:
        raise SystemExit(f"only {n} of {args.expect} events within {args.timeout}s")


if __name__ == "__main__":
    main()
