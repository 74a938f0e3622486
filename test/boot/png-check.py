#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks that PNG file argv[1] (as chromium's --screenshot writes it: 8-bit RGB or RGBA,
not interlaced) is a plot of memdebug-ko, not a blank or an error page: it prints the
share of non-white pixels and of the bars' blue and the memory line's green, and exits 1
when the picture is blank or lacks either colour."""
import struct
import sys
import zlib

BLUE = (0x4A, 0x90, 0xD9)   # a loaded window's bar
GREEN = (0x22, 0xAA, 0x77)  # the MemAvailable line (#2a7)


def pixels(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG')
    pos, idat, width = 8, b'', 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', chunk)
            if depth != 8 or colour not in (2, 6) or interlace:
                sys.exit(f'{path}: not 8-bit RGB(A) without interlace')
            bpp = 3 if colour == 2 else 4
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    raw, stride, prev, out = zlib.decompress(idat), width * bpp, None, []
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        prev = prev or bytearray(stride)
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out.append(line)
        prev = line
    for line in out:
        for x in range(width):
            yield tuple(line[x * bpp:x * bpp + 3])


def near(p, q):
    return all(abs(a - b) <= 24 for a, b in zip(p, q))


total = white = blue = green = 0
for p in pixels(sys.argv[1]):
    total += 1
    white += p == (255, 255, 255)
    blue += near(p, BLUE)
    green += near(p, GREEN)
print(f'{total} pixels: {100 * (total - white) / total:.1f} % not white, '
      f'{100 * blue / total:.2f} % bar blue, {100 * green / total:.2f} % line green')
sys.exit(0 if total - white > total // 200 and blue and green else 1)
