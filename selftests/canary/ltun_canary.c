// SPDX-License-Identifier: GPL-2.0
/*
 * ltun_canary: a module that misbehaves on purpose, built only for the
 * debug kernel. `make check-debug` loads it once per kind of splat and
 * expects the harness (selftests/vm/guest-run.sh) to fail the run: a
 * splat detector that has never been seen to fire proves nothing when it
 * stays quiet.
 *
 * splat= picks the one misdeed, done at load time:
 *   kmemleak      an allocation whose only pointer is dropped
 *   kasan         a one-byte read past the end of a heap object
 *   atomic-sleep  might_sleep() with a spinlock held
 *   warn          WARN() (taints the kernel with W)
 *   lockdep       two mutexes taken in both orders (no deadlock: one
 *                 thread, but lockdep reports the inversion; it then
 *                 switches itself off for the rest of the boot)
 * The load succeeds, so the harness sees what the kernel printed rather
 * than an insmod error.
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *splat = "";
module_param(splat, charp, 0444);
MODULE_PARM_DESC(splat, "kmemleak, kasan, atomic-sleep, warn or lockdep");

static DEFINE_SPINLOCK(canary_lock);
static DEFINE_MUTEX(canary_a);
static DEFINE_MUTEX(canary_b);

/* A parameter, so the compiler cannot prove the read out of bounds. */
static uint canary_size = 13;
module_param(canary_size, uint, 0444);
MODULE_PARM_DESC(canary_size, "size of the object the kasan splat reads past");

static void canary_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	/* Printing the hashed pointer keeps the allocation; nothing keeps p. */
	pr_info("ltun_canary: leaking %p\n", p);
}

static void canary_kasan(void)
{
	size_t n = canary_size;
	u8 *p = kmalloc(n, GFP_KERNEL);

	if (!p)
		return;
	pr_info("ltun_canary: reading byte %zu of a %zu-byte object\n", n, n);
	pr_info("ltun_canary: read %u\n", READ_ONCE(p[n]));
	kfree(p);
}

static void canary_atomic_sleep(void)
{
	spin_lock(&canary_lock);
	might_sleep();
	spin_unlock(&canary_lock);
}

static void canary_lockdep(void)
{
	mutex_lock(&canary_a);
	mutex_lock(&canary_b);
	mutex_unlock(&canary_b);
	mutex_unlock(&canary_a);

	mutex_lock(&canary_b);
	mutex_lock(&canary_a);
	mutex_unlock(&canary_a);
	mutex_unlock(&canary_b);
}

static int __init ltun_canary_init(void)
{
	if (!strcmp(splat, "kmemleak"))
		canary_leak();
	else if (!strcmp(splat, "kasan"))
		canary_kasan();
	else if (!strcmp(splat, "atomic-sleep"))
		canary_atomic_sleep();
	else if (!strcmp(splat, "warn"))
		WARN(1, "ltun_canary: deliberate warning\n");
	else if (!strcmp(splat, "lockdep"))
		canary_lockdep();
	else
		return -EINVAL;
	return 0;
}

static void __exit ltun_canary_exit(void)
{
}

module_init(ltun_canary_init);
module_exit(ltun_canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("deliberate splats that the debug-kernel harness must catch");
