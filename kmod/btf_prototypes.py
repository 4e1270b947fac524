#!/usr/bin/env python3
"""Prints the tracepoint prototypes a kernel's BTF declares.

Usage: btf_prototypes.py VMLINUX [MODULE.ko]
       btf_prototypes.py --unpack IMAGE OUT   (writes the ELF vmlinux inside IMAGE)

VMLINUX is an ELF vmlinux, raw BTF (/sys/kernel/btf/vmlinux) or a
compressed kernel image (vmlinuz, bzImage: xz, gzip or zstd); MODULE.ko
(optional) carries split BTF on top of it, as kvm.ko does. For every
typedef btf_trace_<tracepoint> it prints one line, as a C declaration:

    typedef void (*btf_trace_kvm_exit)(void *, struct kvm_vcpu *, u32);

This reader knows every BTF kind up to BTF_KIND_ENUM64 (19), whatever
tool or pahole version produced the BTF, so kmod/check-prototypes.sh does
not depend on a bpftool that knows the kernel's BTF. A kind it does not
know, or a file with no BTF, exits 2 with one line saying why: the caller
then reports that it could not check, never a mismatch.
"""
import lzma
import struct
import subprocess
import sys
import zlib

BTF_MAGIC = 0xEB9F
# Bytes that follow struct btf_type for each kind (per vlen entry where
# the kind has a list), from the kernel's include/uapi/linux/btf.h.
FIXED_EXTRA = {1: 4, 2: 0, 3: 12, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0, 14: 4, 16: 0, 17: 4, 18: 0}
PER_VLEN = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
KIND_NAMES = {1: 'int', 2: 'ptr', 3: 'array', 4: 'struct', 5: 'union', 6: 'enum', 7: 'fwd', 8: 'typedef',
              9: 'volatile', 10: 'const', 11: 'restrict', 12: 'func', 13: 'func_proto', 14: 'var',
              15: 'datasec', 16: 'float', 17: 'decl_tag', 18: 'type_tag', 19: 'enum64'}


class CannotRead(Exception):
    pass


def unzstd(blob):
    # The zstd CLI; it complains about the bytes after the stream.
    return subprocess.run(['zstd', '-dcq'], input=blob, capture_output=True, check=False).stdout


UNPACKERS = ((b'\xfd7zXZ\x00', lambda b: lzma.LZMADecompressor().decompress(b)),
             (b'\x1f\x8b\x08', lambda b: zlib.decompressobj(31).decompress(b)),
             (b'\x28\xb5\x2f\xfd', unzstd))


def unpack_image(data, path):
    """The ELF vmlinux inside a compressed kernel image."""
    for magic, unpack in UNPACKERS:
        at = data.find(magic)
        while at >= 0:
            try:
                out = unpack(data[at:])
                if out[:4] == b'\x7fELF':
                    return out
            except (lzma.LZMAError, zlib.error, OSError):
                pass
            at = data.find(magic, at + 1)
    raise CannotRead(f'{path}: not ELF, not raw BTF, and no xz/gzip/zstd-compressed vmlinux inside')


def read_kernel(path):
    """A file as ELF or raw BTF bytes, unpacking a compressed image."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] == b'\x7fELF' or (len(data) >= 2 and struct.unpack_from('<H', data, 0)[0] == BTF_MAGIC):
        return data
    return unpack_image(data, path)


def btf_section(path):
    """The raw BTF of a file: the file itself, or its ELF .BTF section."""
    data = read_kernel(path)
    if len(data) >= 2 and struct.unpack_from('<H', data, 0)[0] == BTF_MAGIC:
        return data
    if data[4] != 2 or data[5] != 1:
        raise CannotRead(f'{path}: not a little-endian 64-bit ELF file')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    sections = []
    for i in range(shnum):
        name, _type, _flags, _addr, offset, size = struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
        sections.append((name, offset, size))
    names_at = sections[shstrndx][1]
    for name, offset, size in sections:
        end = data.index(b'\0', names_at + name)
        if data[names_at + name:end] == b'.BTF':
            return data[offset:offset + size]
    raise CannotRead(f'{path}: no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)')


class Btf:
    """Types of a base BTF, and optionally of split BTF on top of it."""

    def __init__(self):
        self.types = [None]  # type id 0 is void
        self.strings = b''

    def add(self, raw, what):
        if len(raw) < 24:
            raise CannotRead(f'{what}: BTF header truncated')
        magic, version, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
            '<HBBIIIII', raw, 0)
        if magic != BTF_MAGIC:
            raise CannotRead(f'{what}: bad BTF magic {magic:#x}')
        if version != 1:
            raise CannotRead(f'{what}: BTF version {version}, this reader knows version 1')
        self.strings += raw[hdr_len + str_off:hdr_len + str_off + str_len]
        at, end = hdr_len + type_off, hdr_len + type_off + type_len
        while at < end:
            name_off, info, size_or_type = struct.unpack_from('<III', raw, at)
            kind, vlen, kflag = (info >> 24) & 0x1F, info & 0xFFFF, info >> 31
            at += 12
            if kind in FIXED_EXTRA:
                extra = FIXED_EXTRA[kind]
            elif kind in PER_VLEN:
                extra = PER_VLEN[kind] * vlen
            else:
                raise CannotRead(f'{what}: unknown BTF kind {kind} (type {len(self.types)}): '
                                 'a newer kernel than this reader knows')
            params = []
            if kind == 13:
                params = [struct.unpack_from('<II', raw, at + 8 * i)[1] for i in range(vlen)]
            self.types.append((kind, name_off, size_or_type, kflag, params))
            at += extra

    def name(self, off):
        return self.strings[off:self.strings.index(b'\0', off)].decode()

    def spell(self, tid, depth=0):
        """A type as a C declaration spells it ("struct kvm_vcpu *")."""
        if depth > 64:
            raise CannotRead(f'type {tid}: a loop in the BTF')
        if tid == 0:
            return 'void'
        if tid >= len(self.types):
            raise CannotRead(f'type {tid} is out of range ({len(self.types) - 1} types)')
        kind, name_off, ref, kflag, params = self.types[tid]
        name = self.name(name_off)
        if kind in (1, 8, 16):
            return name
        if kind in (6, 19):
            return 'enum ' + name
        if kind == 4 or (kind == 7 and not kflag):
            return 'struct ' + name
        if kind == 5 or kind == 7:
            return 'union ' + name
        if kind == 2:
            target = self.types[ref] if 0 < ref < len(self.types) else None
            if target and target[0] == 13:  # a function pointer: "int (*)(unsigned int)"
                return self.spell_function(target, '(*)', depth + 1)
            inner = self.spell(ref, depth + 1)
            return inner + ('*' if inner.endswith('*') else ' *')
        if kind in (9, 10, 11):
            qual = {9: 'volatile', 10: 'const', 11: 'restrict'}[kind]
            inner = self.spell(ref, depth + 1)
            return f'{inner} {qual}' if inner.endswith('*') else f'{qual} {inner}'
        if kind == 18:  # type tags (__user, __rcu) do not change the C type
            return self.spell(ref, depth + 1)
        if kind == 13:
            return self.spell_function(self.types[tid], '', depth + 1)
        raise CannotRead(f'type {tid}: a {KIND_NAMES.get(kind, kind)} where a C type was expected')

    def spell_function(self, proto, declarator, depth):
        args = ', '.join(self.spell(p, depth + 1) for p in proto[4]) or 'void'
        return f'{self.spell(proto[2], depth + 1)} {declarator}({args})'.replace('  ', ' ')

    def tracepoint_prototypes(self):
        for tid, t in enumerate(self.types):
            if not t or t[0] != 8:
                continue
            name = self.name(t[1])
            if not name.startswith('btf_trace_'):
                continue
            ptr = self.types[t[2]] if t[2] < len(self.types) else None
            proto = self.types[ptr[2]] if ptr and ptr[0] == 2 and ptr[2] < len(self.types) else None
            if not proto or proto[0] != 13:
                continue
            args = ', '.join(self.spell(p) for p in proto[4])
            yield f'typedef {self.spell(proto[2])} (*{name})({args});'


def main(argv):
    if len(argv) == 4 and argv[1] == '--unpack':
        try:
            with open(argv[3], 'wb') as f:
                f.write(read_kernel(argv[2]))
        except (CannotRead, OSError) as e:
            print(f'btf_prototypes: {e}', file=sys.stderr)
            return 2
        return 0
    if len(argv) not in (2, 3) or argv[1].startswith('--'):
        print('usage: btf_prototypes.py VMLINUX [MODULE.ko] | --unpack IMAGE OUT', file=sys.stderr)
        return 2
    try:
        btf = Btf()
        btf.add(btf_section(argv[1]), argv[1])
        if len(argv) == 3:
            btf.add(btf_section(argv[2]), argv[2])
        for line in btf.tracepoint_prototypes():
            print(line)
    except (CannotRead, OSError, struct.error, ValueError, IndexError) as e:
        print(f'btf_prototypes: cannot read BTF: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
