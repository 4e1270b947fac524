// SPDX-License-Identifier: GPL-2.0
/* A one-vCPU KVM guest for the module's tests (see mini_guest.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mini_guest.h"

static int create_vm(struct mini_guest *mg, const char **why)
{
	mg->vm = ioctl(mg->kvm, KVM_CREATE_VM, 0);
	if (mg->vm < 0) {
		*why = "KVM_CREATE_VM failed";
		return 1;
	}
	return 0;
}

int mini_guest_open(struct mini_guest *mg, const char **why)
{
	memset(mg, 0, sizeof(*mg));
	mg->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (mg->kvm < 0) {
		*why = "no /dev/kvm";
		return 4;
	}
	return create_vm(mg, why);
}

int mini_guest_open_from(struct mini_guest *mg, int kvm_fd, const char **why)
{
	memset(mg, 0, sizeof(*mg));
	mg->kvm = fcntl(kvm_fd, F_DUPFD_CLOEXEC, 0);
	if (mg->kvm < 0) {
		*why = "dup of the /dev/kvm fd failed";
		return 1;
	}
	return create_vm(mg, why);
}

int mini_guest_add_slot(struct mini_guest *mg, uint32_t slot, uint32_t flags,
			uint64_t gpa, size_t size, void **host, const char **why)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size,
	};
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		*why = "mmap guest memory failed";
		return 1;
	}
	*host = mem;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(mg->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		*why = "KVM_SET_USER_MEMORY_REGION failed";
		return 1;
	}
	return 0;
}

int mini_guest_add_code(struct mini_guest *mg, const void *code, size_t len,
			const char **why)
{
	int r = mini_guest_add_slot(mg, MINI_GUEST_CODE_SLOT, 0, 0,
				    MINI_GUEST_CODE_SIZE, &mg->code, why);

	if (!r)
		memcpy((char *)mg->code + MINI_GUEST_CODE_GPA, code, len);
	return r;
}

#if defined(__aarch64__)
MINI_GUEST_ASM(done_code,
	"movz x2, #0x1000, lsl #16\n"	/* MINI_GUEST_DONE_GPA */
	"1: str w2, [x2]\n"		/* run again: "done" again */
	"b 1b");

int mini_guest_add_done_code(struct mini_guest *mg, const char **why)
{
	return mini_guest_add_code(mg, done_code, done_code_size, why);
}

bool mini_guest_done(const struct mini_guest *mg)
{
	return mg->run->exit_reason == KVM_EXIT_MMIO && mg->run->mmio.is_write &&
	       mg->run->mmio.phys_addr == MINI_GUEST_DONE_GPA;
}

/* KVM's reset state is EL1h, DAIF masked, MMU off: only PC is ours. */
static int setup_vcpu(struct mini_guest *mg, const char **why)
{
	struct kvm_vcpu_init init;
	uint64_t pc = MINI_GUEST_CODE_GPA;
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      KVM_REG_ARM_CORE_REG(regs.pc),
		.addr = (uintptr_t)&pc,
	};

	memset(&init, 0, sizeof(init));
	if (ioctl(mg->vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		*why = "KVM_ARM_PREFERRED_TARGET failed";
		return 1;
	}
	if (ioctl(mg->vcpu, KVM_ARM_VCPU_INIT, &init) < 0) {
		*why = "KVM_ARM_VCPU_INIT failed";
		return 1;
	}
	if (ioctl(mg->vcpu, KVM_SET_ONE_REG, &reg) < 0) {
		*why = "KVM_SET_ONE_REG(pc) failed";
		return 1;
	}
	return 0;
}
#elif defined(__x86_64__)
int mini_guest_add_done_code(struct mini_guest *mg, const char **why)
{
	/* hlt; jmp back to it: run again, "done" again */
	static const unsigned char hlt_code[] = { 0xf4, 0xeb, 0xfd };

	return mini_guest_add_code(mg, hlt_code, sizeof(hlt_code), why);
}

bool mini_guest_done(const struct mini_guest *mg)
{
	return mg->run->exit_reason == KVM_EXIT_HLT;
}

/* Real mode at 0:MINI_GUEST_CODE_GPA. */
static int setup_vcpu(struct mini_guest *mg, const char **why)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(mg->vcpu, KVM_GET_SREGS, &sregs) < 0) {
		*why = "KVM_GET_SREGS failed";
		return 1;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = MINI_GUEST_CODE_GPA;
	regs.rflags = 2;
	if (ioctl(mg->vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(mg->vcpu, KVM_SET_REGS, &regs) < 0) {
		*why = "KVM_SET_SREGS/REGS failed";
		return 1;
	}
	return 0;
}
#else
#error "mini_guest: x86-64 or arm64 only"
#endif

int mini_guest_add_vcpu(struct mini_guest *mg, const char **why)
{
	return mini_guest_add_vcpu_id(mg, 0, why);
}

int mini_guest_add_vcpu_id(struct mini_guest *mg, int id, const char **why)
{
	mg->vcpu = ioctl(mg->vm, KVM_CREATE_VCPU, id);
	mg->run_size = ioctl(mg->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mg->vcpu < 0 || (ssize_t)mg->run_size <= 0) {
		*why = "KVM_CREATE_VCPU failed";
		return 1;
	}
	mg->run = mmap(NULL, mg->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       mg->vcpu, 0);
	if (mg->run == MAP_FAILED) {
		*why = "mmap kvm_run failed";
		return 1;
	}
	return setup_vcpu(mg, why);
}

int mini_guest_run(struct mini_guest *mg)
{
	while (ioctl(mg->vcpu, KVM_RUN, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

void mini_guest_close(struct mini_guest *mg)
{
	if (mg->run && mg->run != MAP_FAILED)
		munmap(mg->run, mg->run_size);
	if (mg->vcpu > 0)
		close(mg->vcpu);
	if (mg->vm > 0)
		close(mg->vm);
	if (mg->kvm > 0)
		close(mg->kvm);
	if (mg->code && mg->code != MAP_FAILED)
		munmap(mg->code, MINI_GUEST_CODE_SIZE);
	mg->run = NULL;
	mg->code = NULL;
	mg->vcpu = mg->vm = mg->kvm = -1;
}
