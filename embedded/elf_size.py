#!/usr/bin/env python3
"""Flash and RAM of a 32-bit little-endian ARM ELF, from its section headers (stdlib only).

    python3 embedded/elf_size.py FIRMWARE.elf   # prints: flash=N ram_static=N  and one line per section

Flash is every allocated section placed below RAM (vector table, .text, .rodata) plus the
initial values of .data, which the start-up code copies from flash; ram_static is every
allocated section in RAM (.data, .bss with the heap array, .uninit). The stack comes on top
of ram_static and is measured on the device.
"""

import struct
import sys

RAM_ORIGIN = 0x2000_0000  # memory.x
SHF_ALLOC = 0x2
SHT_NOBITS = 8


def sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise SystemExit(f"{path}: not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    names_offset = headers[shstrndx][4]
    for name, kind, flags, addr, _offset, size, *_ in headers:
        end = data.index(b"\0", names_offset + name)
        yield data[names_offset + name : end].decode(), kind, flags, addr, size


def main(path):
    flash = ram = 0
    for name, kind, flags, addr, size in sections(path):
        if not flags & SHF_ALLOC or size == 0:
            continue
        if addr >= RAM_ORIGIN:
            ram += size
            if kind != SHT_NOBITS:
                flash += size  # initial values of .data live in flash
        else:
            flash += size
        print(f"section {name} addr=0x{addr:08x} size={size}")
    print(f"flash={flash} ram_static={ram}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
