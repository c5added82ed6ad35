#!/usr/bin/env python3
"""Reads the damaged passes that core/tests/qr_camera.rs wrote with DOORSTEP_QR_DUMP=DIR
with zxing-cpp (pip install zxing-cpp pillow), and prints its decode rate per damage, to
set beside the core's. Usage: scripts/qr-compare.py DIR"""
import os
import sys

import zxingcpp
from PIL import Image

root = sys.argv[1]
rows = {}
for f in sorted(os.listdir(root)):
    if not f.endswith(".txt"):
        continue
    name, text = open(os.path.join(root, f), encoding="utf-8").read().split("\n", 1)
    found = zxingcpp.read_barcodes(
        Image.open(os.path.join(root, f[:-4] + ".png")), formats=zxingcpp.BarcodeFormat.QRCode
    )
    read, total = rows.get(f[:2], (name, 0, 0))[1:]
    rows[f[:2]] = (name, read + any(r.text == text for r in found), total + 1)
print("| damage | zxing-cpp |\n|---|---:|")
for _, (name, read, total) in sorted(rows.items()):
    print(f"| {name} | {read}/{total} |")
