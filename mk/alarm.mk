# The ring-overrun alarm of `dirtyscope stats` on a real KVM, in the nested
# VM (owned with tools/ and lib/stats/):
#   make ring-alarm   dirty_log_test watched with -p: "ok" on Debian's kvm,
#                     "overrun" on the ring-soft-limit-no-reserve mutant,
#                     "late" on vm/ring-alarm/soft-limit-half-reserve.patch
#                     (three boots, 4-6 min; not in make test)
#   make qemu-alarm   QEMU (-accel kvm,dirty-ring-size=1024) migrating a
#                     multiboot guest, watched by kmod and bpf (also
#                     ctest vm.qemu_ring_alarm)
.PHONY: ring-alarm qemu-alarm
ring-alarm: build
	@scripts/install-deps.sh kmod vm
	@BUILD_DIR=$(BUILD_DIR) vm/ring-alarm.sh

qemu-alarm: build
	@scripts/install-deps.sh kmod vm
	@BUILD_DIR=$(BUILD_DIR) vm/qemu-alarm.sh
