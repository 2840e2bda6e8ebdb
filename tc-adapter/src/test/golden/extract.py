#!/usr/bin/env python3
"""Keeps the hex dumps of tc's traffic-control messages (RTM_*QDISC/TCLASS/TFILTER) from an strace log."""
import sys

cmd = sys.argv[1]
messages, current = [], None
for line in sys.stdin:
    line = line.rstrip("\n")
    if " bytes in buffer " in line:
        current = bytearray()
        messages.append(current)
    elif line.strip().startswith("| ") and current is not None:
        hexpart = line.strip()[2:].split("  ", 1)[1][:49]
        current.extend(bytes.fromhex(hexpart.replace(" ", "")))
print("# " + cmd.strip())
for m in messages:
    mtype = int.from_bytes(m[4:6], "little")
    if 36 <= mtype <= 47:
        print("message")
        for i in range(0, len(m), 16):
            print(" ".join("%02x" % b for b in m[i:i + 16]))
