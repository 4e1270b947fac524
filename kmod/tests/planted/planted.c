// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_planted.ko: one deliberate bug per kernel detector, chosen by
 * the bug= parameter at load time. It exists only as the negative twin of
 * the debug-kernel verdict (vm/debug_reports.py): a verdict of "0 reports"
 * means something only if each detector, fed its bug, is seen to report.
 *
 *   bug=lock_order       take A then B, later B then A (lockdep)
 *   bug=use_after_free   read a kmalloc'd object after kfree (KASAN)
 *   bug=leak             drop the only pointer to an allocation (kmemleak)
 *   bug=sleep_in_atomic  sleep while holding a spinlock (DEBUG_ATOMIC_SLEEP)
 *
 * Never load it on a machine you care about.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "lock_order, use_after_free, leak or sleep_in_atomic");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(atomic_lock);

/* Both orders in one thread: no deadlock, but lockdep sees the cycle. */
static void plant_lock_order(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static void plant_use_after_free(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	/* The read KASAN must catch; volatile so it is not optimised away. */
	pr_info("dirtyscope_planted: freed byte %d\n", ((volatile char *)p)[8]);
}

/*
 * Objects of the size the module allocates, each pointer living only in
 * this frame and overwritten by the next, so once it returns nothing
 * refers to them. OPTIMIZER_HIDE_VAR keeps the compiler from dropping an
 * allocation nobody reads. Several, because a stale copy of the last one
 * in a register or a reused stack slot keeps kmemleak quiet about that one.
 * On 7.x SLUB hands them out of a per-CPU sheaf whose emptied slots still
 * point at them, which hides such a leak from kmemleak until the slots are
 * reused: the debug kernel carries the fix (docs/findings/
 * kmemleak-sheaf-stale-slots/), and this leak is what shows it works.
 */
static noinline void plant_leak(void)
{
	for (int i = 0; i < 16; i++) {
		void *p = kmalloc(128, GFP_KERNEL);

		OPTIMIZER_HIDE_VAR(p);
		if (p)
			memset(p, 0x5a, 128);
	}
}

static void plant_sleep_in_atomic(void)
{
	spin_lock(&atomic_lock);
	msleep(1);
	spin_unlock(&atomic_lock);
}

static int __init planted_init(void)
{
	static const struct {
		const char *name;
		void (*plant)(void);
	} bugs[] = {
		{ "lock_order", plant_lock_order },
		{ "use_after_free", plant_use_after_free },
		{ "leak", plant_leak },
		{ "sleep_in_atomic", plant_sleep_in_atomic },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(bug, bugs[i].name))
			continue;
		pr_info("dirtyscope_planted: planting %s\n", bug);
		bugs[i].plant();
		return 0;
	}
	pr_err("dirtyscope_planted: bug=%s: not one of lock_order, use_after_free, leak, sleep_in_atomic\n", bug);
	return -EINVAL;
}

static void __exit planted_exit(void)
{
}

module_init(planted_init);
module_exit(planted_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dirtyscope: planted bugs that the debug kernel's detectors must report");
