#!/usr/bin/env python3
"""Writes the binary seed inputs of fuzz/corpus/ (kmod_reply, kvm_stats):
well-formed messages and files like the ones dirtyscope.ko and KVM produce,
so the fuzzer starts from inputs that reach deep into the parsers. The text
seeds (json, options) are written by hand. Re-run after a wire change:
    fuzz/make_seeds.py
Numbers are those of kmod/include/uapi/linux/dirtyscope.h and <linux/kvm.h>.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# enum dirtyscope_attr / dirtyscope_stat / dirtyscope_cmd
VM_ID, VM_PID, VM_FD, VM_NAME, NR_VCPUS, STATS, VCPU, EVENT, VCPU_INDEX, RESET_ENTRIES, UNATTRIBUTED = range(2, 13)
S_VCPU_INDEX, S_VCPU_ID, S_PUSHES, S_RESETS, S_RESET_ENTRIES, S_FULL, S_FAULTS, S_SPTE, S_SPTE_W, S_RING_SIZE, S_HWM, \
    S_SPP_ALLOWED, S_SPP_DENIED, S_SPP_DROPPED = range(2, 16)
CMD_LIST_VMS, CMD_GET_STATS, CMD_EVENT = 1, 2, 4
GENL_VERSION = 1
NLA_F_NESTED = 0x8000


def attr(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * (-len(a) % 4)


def u32(kind, v): return attr(kind, struct.pack("=I", v))
def s32(kind, v): return attr(kind, struct.pack("=i", v))
def u64(kind, v): return attr(kind, struct.pack("=Q", v))
def string(kind, s): return attr(kind, s.encode() + b"\0")
def nest(kind, body): return attr(kind | NLA_F_NESTED, body)


def counters(base, spp=False):
    b = (u64(S_PUSHES, base) + u64(S_RESETS, base // 2) + u64(S_RESET_ENTRIES, base) +
         u64(S_FULL, 1) + u64(S_FAULTS, base * 3) + u64(S_SPTE, base * 2) + u64(S_SPTE_W, base) +
         u32(S_RING_SIZE, 4096) + u32(S_HWM, 200))
    if spp:
        b += u64(S_SPP_ALLOWED, 10) + u64(S_SPP_DENIED, 2) + u64(S_SPP_DROPPED, 0)
    return b


def message(which, cmd, attrs):
    """Byte 0 selects the parser (kmod_reply_fuzz.cpp), then the message."""
    body = struct.pack("=BBH", cmd, GENL_VERSION, 0) + attrs
    hdr = struct.pack("=IHHII", 16 + len(body), 0x1c, 0, 7, 1234)
    return bytes([which]) + hdr + body


def vm_head(vm_id=1):
    return u64(VM_ID, vm_id) + u32(VM_PID, 4242) + s32(VM_FD, 9) + string(VM_NAME, "4242-9") + u32(NR_VCPUS, 2)


def kmod_reply():
    yield "list_vms", message(0, CMD_LIST_VMS, vm_head() + nest(STATS, counters(100)))
    yield "list_vms_spp", message(0, CMD_LIST_VMS, vm_head(3) + nest(STATS, counters(7, spp=True)))
    vcpus = b"".join(nest(VCPU, u32(S_VCPU_INDEX, i) + u32(S_VCPU_ID, i) + counters(50)) for i in range(2))
    yield "get_stats", message(1, CMD_GET_STATS, vm_head() + nest(STATS, counters(100)) + vcpus +
                               u64(UNATTRIBUTED, 0))
    yield "event_full", message(2, CMD_EVENT, u32(EVENT, 1) + vm_head() + u32(VCPU_INDEX, 0))
    yield "event_reset", message(2, CMD_EVENT, u32(EVENT, 2) + vm_head() + u32(VCPU_INDEX, 1) +
                                 u64(RESET_ENTRIES, 64))


def kvm_stats_file(ident, stats, name_size=48):
    """struct kvm_stats_header, id, descriptors, data, in KVM's order."""
    id_off = 24
    desc_off = id_off + name_size
    desc_size = 16 + name_size
    data_off = desc_off + desc_size * len(stats)
    descs, data = b"", b""
    for name, flags, values in stats:
        descs += struct.pack("=IhHII", flags, 0, len(values), len(data), 0)
        descs += name.encode().ljust(name_size, b"\0")
        data += b"".join(struct.pack("=Q", v) for v in values)
    hdr = struct.pack("=IIIIII", 0, name_size, len(stats), id_off, desc_off, data_off)
    return hdr + ident.encode().ljust(name_size, b"\0") + descs + data


def kvm_stats():
    # flags: type (cumulative 0, instant 0x1, peak 0x2, linear hist 0x3,
    # log hist 0x4) | unit | base
    yield "vm", kvm_stats_file("kvm-4242", [("remote_tlb_flush", 0x0, [5]), ("pages_4k", 0x1, [512])])
    yield "vcpu", kvm_stats_file("kvm-4242/vcpu-0", [("exits", 0x0, [1000]), ("halt_wait_ns", 0x20, [7]),
                                                     ("halt_poll_hist_ns", 0x4, [1, 2, 3, 0, 0, 0, 0, 0])])
    yield "empty", kvm_stats_file("kvm-1", [])


def main():
    for target, gen in (("kmod_reply", kmod_reply), ("kvm_stats", kvm_stats)):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in gen():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
