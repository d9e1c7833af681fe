#!/usr/bin/env python3
"""Watches the X screen ($DISPLAY) until the app's first screen is up.

  first-paint.py START DEADLINE RRGGBB

START is the launch time (seconds since the epoch, as `date +%s.%N`).
Prints "painted <s>" when the screen first holds more than 16 colours
(a blank webview is one or two), then "interactive <s>" when the focus
ring of a focused field shows (RRGGBB: the frontend's --focus colour, on
at least MIN_RING pixels): the sign-in step is painted and takes typing.
Exits 1 if that has not happened DEADLINE seconds after START.

It reads the root window with XGetImage through ctypes: about 20 ms a
look, against ~250 ms for ImageMagick's import + convert, which made the
benchmark coarse and took CPU from the app it timed.
"""
import ctypes
import ctypes.util
import sys
import time

MIN_RING = 200
ZPIXMAP = 2


class XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int),
                ("bitmap_pad", ctypes.c_int), ("depth", ctypes.c_int),
                ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int)]


def main():
    start, deadline = float(sys.argv[1]), float(sys.argv[2])
    ring = bytes.fromhex(sys.argv[3].lstrip("#"))[::-1]  # as a 32-bit BGRX pixel stores it
    x = ctypes.CDLL(ctypes.util.find_library("X11"))
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x.XGetImage.restype = ctypes.POINTER(XImage)
    x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                            ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    x.XFree.argtypes = [ctypes.c_void_p]
    d = x.XOpenDisplay(None)
    if not d:
        sys.exit("first-paint: cannot open the display")
    root, w, h = x.XDefaultRootWindow(d), x.XDisplayWidth(d, 0), x.XDisplayHeight(d, 0)
    painted = None
    while True:
        img = x.XGetImage(d, root, 0, 0, w, h, 0xFFFFFFFF, ZPIXMAP)
        im = img.contents
        buf = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        x.XFree(im.data)
        x.XFree(img)
        now = time.time() - start
        if painted is None and len(set(memoryview(buf).cast("I"))) > 16:
            painted = now
            print("painted %.3f" % now, flush=True)
        if painted is not None and buf.count(ring) >= MIN_RING:
            print("interactive %.3f" % now, flush=True)
            return
        if now > deadline:
            sys.exit("first-paint: no focused field after %.0fs" % deadline)
        time.sleep(0.02)


main()
