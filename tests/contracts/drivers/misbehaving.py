"""A driver that speaks the protocol until the step its argument names, then misbehaves.

    python misbehaving.py MODE      MODE: exit-at-start | exit-on-call | garbage-on-call |
                                          hang-on-call | wrong-id-on-call | sleep-on-make

Written in Python on purpose: the protocol is the contract between the suite and a driver,
whatever the language.
"""

import json
import sys
import time

mode = sys.argv[1]
if mode == "exit-at-start":
    print("cannot load the client: missing module 'banqer'", file=sys.stderr)
    sys.exit(3)


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    ident, op = message["id"], message["op"]
    if op == "hello":
        send({"id": ident, "result": {"protocol": 1}})
    elif op == "make" and mode == "sleep-on-make":
        send({"id": ident, "sleep": 1})
    elif op == "make":
        config = message["config"]
        send({"id": ident, "result": {"client": "c1"}})
    elif op == "close":
        send({"id": ident, "result": None})
    elif mode == "exit-on-call":
        print(f"TypeError: login failed for {config['client_secret']}", file=sys.stderr)
        sys.exit(1)
    elif mode == "garbage-on-call":
        sys.stdout.write("Loaded 3 credores\n")
        sys.stdout.flush()
    elif mode == "hang-on-call":
        time.sleep(3600)
    elif mode == "wrong-id-on-call":
        send({"id": ident + 7, "result": {}})
