#!/usr/bin/python3
"""Reads Avro Object Container Files with Apache Avro's Python implementation
(Debian's python3-avro), which is not the library Cascade writes with, and
prints one JSON object per record: {"file", "record"}, with bytes as hex and
timestamps as integer microseconds since the epoch. Used by the integration
tests to prove data objects are standard Avro.

usage: read-avro.py FILE...
"""
import datetime
import json
import sys

import avro.datafile
import avro.io

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, datetime.datetime):
        delta = value - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def main(paths):
    for path in paths:
        with open(path, "rb") as handle:
            reader = avro.datafile.DataFileReader(handle, avro.io.DatumReader())
            try:
                for record in reader:
                    print(json.dumps({"file": path, "record": plain(record)}))
            finally:
                reader.close()


if __name__ == "__main__":
    main(sys.argv[1:])
