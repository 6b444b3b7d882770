#!/usr/bin/env python3
"""Start a command and print the milliseconds until a screen pixel turns a given colour.

Usage: first-frame.py X Y RRGGBB COMMAND [ARGS...]
Prints "<ms> <pid>" and leaves the command running. Reads the pixel straight from the X server
(libX11 through ctypes, about 1 ms a poll), so the poll neither blurs the time nor loads the CPU
the way running a screenshot tool in a loop would. Exits 1 if the colour never shows in 30 s.
"""
import ctypes
import ctypes.util
import subprocess
import sys
import time

x, y, want = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3].lstrip("#"), 16)
cmd = sys.argv[4:]

xlib = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
xlib.XOpenDisplay.restype = ctypes.c_void_p
xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
xlib.XDefaultRootWindow.restype = ctypes.c_ulong
xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
xlib.XGetImage.restype = ctypes.c_void_p
xlib.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                           ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
xlib.XGetPixel.restype = ctypes.c_ulong
xlib.XGetPixel.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
xlib.XDestroyImage = None  # a macro in C; the few leaked 1x1 images do not matter here

display = xlib.XOpenDisplay(None)
if not display:
    sys.exit("first-frame.py: cannot open the X display")
root = xlib.XDefaultRootWindow(display)
ALL_PLANES, Z_PIXMAP = 0xFFFFFFFF, 2

start = time.monotonic()
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while time.monotonic() - start < 30:
    image = xlib.XGetImage(display, root, x, y, 1, 1, ALL_PLANES, Z_PIXMAP)
    if image and (xlib.XGetPixel(image, 0, 0) & 0xFFFFFF) == want:
        print(f"{(time.monotonic() - start) * 1000:.0f} {proc.pid}")
        sys.exit(0)
    time.sleep(0.001)
print(f"never {proc.pid}")
sys.exit(1)
