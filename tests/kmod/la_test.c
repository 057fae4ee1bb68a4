// SPDX-License-Identifier: GPL-2.0
/*
 * la_test: a deliberately buggy "driver" giving lockaudit a known ground truth.
 *
 * On load it registers its own platform device "la_test" (or, with pci=BDF,
 * uses that existing PCI device instead) and calls a DMA/IOMMU configuration
 * entry point on it:
 *   unlocked=K  K calls without device_lock            (from la_call_unlocked)
 *   locked=K    K calls inside device_lock/unlock       (from la_call_locked)
 *   other=K     K calls while another kthread ("la_test_holder") holds
 *               device_lock(dev)                        (from la_call_other)
 *   wq=K        K calls from a work item on the system workqueue (a
 *               kworker: from la_call_wq), on la_test's (first) device
 *   child=K     K calls on a child device la_test creates and adds
 *               ("la_test_child", parent la_test's first device; from
 *               la_call_child)
 * entry=acpi  acpi_dma_configure_id(dev, DEV_DMA_COHERENT, NULL)
 *             (default on x86 and on anything but arm64 with CONFIG_ACPI)
 * entry=of    of_dma_configure_id(dev, np, true, &of_id) (default on arm64;
 *             needs CONFIG_OF).  np = of_find_node_by_path(of_path); without
 *             of_path: /pcie@10000000 (qemu virt's PCIe host bridge), else the
 *             first "pci-host-ecam-generic" node.  Its iommu-map translates
 *             of_id (default 0x1230) to an SMMU stream ID, so the call goes
 *             through of_iommu_configure into iommu_probe_device.
 *
 * fresh=1     every call gets its own new platform device la_test.N (all
 *             registered before the first call, N = 0..unlocked+locked+other-1
 *             in call order).  Without it all calls share one device, and
 *             only the first call that sets the device's IOMMU fwspec goes on
 *             into iommu_probe_device; with it every call does (where the
 *             firmware describes the device: arm64 entry=of).
 *
 * core_other=K  the IOMMU core racing a lock holder: K new platform devices
 *             "la_core.I" are allocated, a kthread "la_core_holder" takes
 *             device_lock() of each, and only then are they added (from
 *             la_core_add): device_add's bus notifier runs iommu_bus_notifier
 *             -> iommu_probe_device while another task holds the lock.  The
 *             holder lets each lock go once la_test's own platform-bus
 *             notifier (registered after the IOMMU core's, so called after
 *             it) has seen the device's add: device_add takes the lock
 *             itself after the notifiers on 7.x (ready_to_probe), and so
 *             does the driver core's probe.  If a device is not seen within
 *             10 s, timeout=1.  Prints
 *             la_test: core_other=K added=A timeout=T
 *             The devices go away with the module.
 *
 * hold_pci=BDF,BDF,...  hold_ms=T  a kthread "la_pci_holder" takes
 *             device_lock() of each of those PCI devices and keeps it until
 *             the module is removed (or T ms, default 60000, have passed),
 *             so that whatever configures them meanwhile (an IOMMU
 *             registering: probe_iommu_group) runs while another task holds
 *             the lock.  Init returns once every lock is held and prints
 *             la_test: hold_pci=N held
 *
 *   rules=K     rules as data (lockaudit --rules tests/e2e/la_test.rules):
 *               calls of kernel functions whose locking rule lockaudit
 *               checks, K of each kind, each kind from its own caller:
 *               device_match_name(la_test's device), its parent's mutex
 *               (&dev->parent->mutex): held (la_path_held), not held
 *               (la_path_unlocked), held by kthread "la_path_holder"
 *               (la_path_other); and on the parent itself, which has no
 *               parent (la_path_null: a NULL on the rule's path);
 *               rtnl_is_locked(): under rtnl_lock() (la_rtnl_held),
 *               without (la_rtnl_unlocked), while kthread "la_rtnl_holder"
 *               holds RTNL (la_rtnl_other);
 *               find_vma(insmod's mm, 0): under mmap_write_lock
 *               (la_vma_write), mmap_read_lock (la_vma_read), without
 *               (la_vma_unlocked), while kthread "la_mm_holder" holds it for
 *               write (la_vma_other).  Prints
 *               la_test: rules=K done=D path_holder=P rtnl_holder=R mm_holder=M
 *
 * Stress modes (after the calls above, in this order; all on la_test's own
 * device, or the pci= device; with fresh=1 on la_test.0):
 *   flood=N threads=T  T kthreads "la_flood/I", released together (one
 *               completion), together make exactly N unlocked calls from
 *               la_flood_call; init waits for all of them and prints
 *               la_test: flood=N threads=T done=D ns=ELAPSED
 *   race=R      two kthreads "la_race_a" / "la_race_b", released together,
 *               each make R unlocked calls on the same device at the same
 *               time (from la_race_call_a / la_race_call_b); race_locked=1:
 *               each call inside device_lock/device_unlock, so they never
 *               overlap.  Prints
 *               la_test: race=R race_locked=L done_a=A done_b=B ns=ELAPSED
 *   bench=N     N unlocked calls from la_bench_call, in batches of 1000
 *               (the last one shorter), each timed with ktime_get_ns();
 *               prints the mean over all calls and the median batch's
 *               ns per call (which a timer tick or the other vCPU's work
 *               in some batches does not move)
 *               la_test: bench=N ns_per_call=X.YY ns=ELAPSED
 *                        batch_median=X.YY batches=K settle=S
 *   bench_vma=1 with bench: the calls are find_vma(insmod's mm, 0) from
 *               la_bench_vma_call, each batch under one mmap_read_lock (a
 *               rule on a hot function: lockaudit --rules rules/mmap.rules)
 *   settle=S    with bench: one untimed call first, then msleep(S), so an
 *               auditor that learns a call site from its first call is
 *               measured (and tested) in its steady state: bench+1 calls
 *
 * Each kind is made from its own noinline function and the entry point is
 * called directly from it (sibling calls are disabled in Kbuild), so the
 * immediate caller on the stack names the kind.  No function is __init/__exit
 * /__cold (arm64 ftrace needs them aligned; see tests/vm/README.md).
 * All work happens in module init, i.e. during insmod, and one summary line is
 * printed:
 *   la_test: unlocked=U locked=L other=O entry=E ret_zero=Z ret_err=N last_err=R dev=D[ fresh]
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/platform_device.h>
#include <linux/pci.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/property.h>
#include <linux/acpi.h>
#include <linux/of.h>
#include <linux/of_device.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/minmax.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/rtnetlink.h>

/*
 * noinline is not enough: gcc's IPA-SRA would rename the callers to
 * la_call_*.isra.0.  noipa keeps the symbol names exact (and implies noinline).
 */
#if defined(__has_attribute)
#if __has_attribute(__noipa__)
#define la_caller noinline __attribute__((__noipa__))
#endif
#endif
#ifndef la_caller
#define la_caller noinline
#endif

static int unlocked;
module_param(unlocked, int, 0444);
MODULE_PARM_DESC(unlocked, "calls without device_lock");
static int locked;
module_param(locked, int, 0444);
MODULE_PARM_DESC(locked, "calls with device_lock held by the caller");
static int other;
module_param(other, int, 0444);
MODULE_PARM_DESC(other, "calls while another kthread holds device_lock");
static int wq;
module_param(wq, int, 0444);
MODULE_PARM_DESC(wq, "calls from a work item (kworker)");
static int child;
module_param(child, int, 0444);
MODULE_PARM_DESC(child, "calls on a child device la_test adds");
#if defined(CONFIG_ARM64)
#define LA_ENTRY_DEFAULT "of"
#elif defined(CONFIG_X86)
#define LA_ENTRY_DEFAULT "acpi"
#else
#define LA_ENTRY_DEFAULT (IS_ENABLED(CONFIG_ACPI) ? "acpi" : "of")
#endif
static char *entry = LA_ENTRY_DEFAULT;
module_param(entry, charp, 0444);
MODULE_PARM_DESC(entry, "acpi (acpi_dma_configure_id) or of (of_dma_configure_id); default " LA_ENTRY_DEFAULT);
static char *of_path;
module_param(of_path, charp, 0444);
MODULE_PARM_DESC(of_path, "entry=of: device tree node passed as np (default /pcie@10000000, else the first pci-host-ecam-generic node)");
static uint of_id = 0x1230;
module_param(of_id, uint, 0444);
MODULE_PARM_DESC(of_id, "entry=of: input id");
static char *pci;
module_param(pci, charp, 0444);
MODULE_PARM_DESC(pci, "use this PCI device (DDDD:BB:DD.F) instead of the la_test platform device");
static char *hold_pci;
module_param(hold_pci, charp, 0444);
MODULE_PARM_DESC(hold_pci, "hold these PCI devices' locks (DDDD:BB:DD.F,...) until removed");
static int hold_ms = 60000;
module_param(hold_ms, int, 0444);
MODULE_PARM_DESC(hold_ms, "hold_pci: let go after this many ms at most");
static bool fresh;
module_param(fresh, bool, 0444);
MODULE_PARM_DESC(fresh, "one new platform device la_test.N per call (not with pci=)");

static int flood;
static int core_other;
module_param(core_other, int, 0444);
MODULE_PARM_DESC(core_other, "add K platform devices while la_core_holder holds their locks (autoprobe off)");

module_param(flood, int, 0444);
MODULE_PARM_DESC(flood, "total unlocked calls made by the flood threads (from la_flood_call)");
static int threads = 1;
module_param(threads, int, 0444);
MODULE_PARM_DESC(threads, "flood: number of kthreads (1..64), released together");
static int race;
module_param(race, int, 0444);
MODULE_PARM_DESC(race, "calls per thread of la_race_a and la_race_b on the same device at once");
static bool race_locked;
module_param(race_locked, bool, 0444);
MODULE_PARM_DESC(race_locked, "race: each call inside device_lock/device_unlock");
static int bench;
module_param(bench, int, 0444);
MODULE_PARM_DESC(bench, "one timed loop of this many unlocked calls (from la_bench_call)");
static int settle;
module_param(settle, int, 0444);

static int rules;
module_param(rules, int, 0444);

static bool bench_vma;
module_param(bench_vma, bool, 0444);
MODULE_PARM_DESC(settle, "bench: one untimed call first, then sleep this many ms (an auditor's steady state)");

#define LA_MAX_THREADS 64

enum la_entry { LA_ENTRY_ACPI, LA_ENTRY_OF };

static enum la_entry la_entry_kind;
static struct device_node *la_of_np;
static struct platform_device **la_pdevs;	/* registered by us */
static int la_npdevs;
static struct pci_dev *la_pci_dev;

static int la_ret_zero, la_ret_err, la_last_err;
static int la_done_unlocked, la_done_locked, la_done_other;

/* The entry point itself; inlined, so its caller is the la_*_call function. */
static __always_inline int la_entry_raw(struct device *dev)
{
	if (la_entry_kind == LA_ENTRY_OF)
		return of_dma_configure_id(dev, la_of_np, true, &of_id);
	return acpi_dma_configure_id(dev, DEV_DMA_COHERENT, NULL);
}

/* Inlined into each la_call_*: the entry point's caller is la_call_*. */
static __always_inline int la_entry_call(struct device *dev)
{
	int ret;

	ret = la_entry_raw(dev);
	if (ret) {
		la_ret_err++;
		la_last_err = ret;
	} else {
		la_ret_zero++;
	}
	return ret;
}

/* devs[i]: the device of the i-th call (all equal unless fresh=1). */
static la_caller int la_call_unlocked(struct device **devs, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(devs[i]);
		la_done_unlocked++;
	}
	barrier();
	return la_done_unlocked;
}

static la_caller int la_call_locked(struct device **devs, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		device_lock(devs[i]);
		la_entry_call(devs[i]);
		device_unlock(devs[i]);
		la_done_locked++;
	}
	barrier();
	return la_done_locked;
}

/* Caller's side of other=K: the locks are held by la_test_holder meanwhile. */
static la_caller int la_call_other(struct device **devs, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(devs[i]);
		la_done_other++;
	}
	barrier();
	return la_done_other;
}

/* wq=K: the calls made by a kworker */
static struct device *la_wq_dev;
static int la_done_wq, la_done_child;

static la_caller int la_call_wq(struct device *dev, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(dev);
		la_done_wq++;
	}
	barrier();
	return la_done_wq;
}

static void la_wq_work(struct work_struct *w)
{
	la_call_wq(la_wq_dev, wq);
}

static DECLARE_WORK(la_work, la_wq_work);

/* child=K: the calls on a device la_test made itself (the bug class of
 * the 2023 thread: a driver configuring a child or helper device) */
static struct platform_device *la_child_pdev;

static la_caller int la_call_child(struct device *dev, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(dev);
		la_done_child++;
	}
	barrier();
	return la_done_child;
}

static int la_run_child(struct device *parent, int k)
{
	int ret;

	la_child_pdev = platform_device_alloc("la_test_child",
					      PLATFORM_DEVID_NONE);
	if (!la_child_pdev)
		return -ENOMEM;
	la_child_pdev->dev.parent = parent;
	ret = platform_device_add(la_child_pdev);
	if (ret) {
		platform_device_put(la_child_pdev);
		la_child_pdev = NULL;
		return ret;
	}
	la_call_child(&la_child_pdev->dev, k);
	return 0;
}

/* ---- rules=K: kernel functions under rules of their own (la_test.rules) */
static struct device *la_rules_dev; /* la_test's device; parent: its bus */
static struct mm_struct *la_rules_mm; /* insmod's */
static int la_rules_done;
static volatile unsigned long la_rules_sink;

static la_caller int la_path_held(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++) {
		device_lock(la_rules_dev->parent);
		la_rules_sink += device_match_name(la_rules_dev, "la_test");
		device_unlock(la_rules_dev->parent);
	}
	return la_rules_done;
}

static la_caller int la_path_unlocked(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += device_match_name(la_rules_dev, "la_test");
	return la_rules_done;
}

static la_caller int la_path_other(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += device_match_name(la_rules_dev, "la_test");
	return la_rules_done;
}

/* the bus device has no parent: the rule's path meets NULL */
static la_caller int la_path_null(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink +=
			device_match_name(la_rules_dev->parent, "la_test");
	return la_rules_done;
}

static la_caller int la_rtnl_held(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++) {
		rtnl_lock();
		la_rules_sink += rtnl_is_locked();
		rtnl_unlock();
	}
	return la_rules_done;
}

static la_caller int la_rtnl_unlocked(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += rtnl_is_locked();
	return la_rules_done;
}

static la_caller int la_rtnl_other(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += rtnl_is_locked();
	return la_rules_done;
}

static la_caller int la_vma_write(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++) {
		mmap_write_lock(la_rules_mm);
		la_rules_sink += (unsigned long)find_vma(la_rules_mm, 0);
		mmap_write_unlock(la_rules_mm);
	}
	return la_rules_done;
}

static la_caller int la_vma_read(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++) {
		mmap_read_lock(la_rules_mm);
		la_rules_sink += (unsigned long)find_vma(la_rules_mm, 0);
		mmap_read_unlock(la_rules_mm);
	}
	return la_rules_done;
}

/* insmod's mm, quiescent (its only thread is here): walked unlocked */
static la_caller int la_vma_unlocked(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += (unsigned long)find_vma(la_rules_mm, 0);
	return la_rules_done;
}

static la_caller int la_vma_other(int k)
{
	int i;

	for (i = 0; i < k; i++, la_rules_done++)
		la_rules_sink += (unsigned long)find_vma(la_rules_mm, 0);
	return la_rules_done;
}

/* a kthread holding one lock while la_test calls in */
struct la_lockhold {
	void (*lock)(bool take);
	struct completion held, release, done;
};

static void la_lock_path(bool take)
{
	if (take)
		device_lock(la_rules_dev->parent);
	else
		device_unlock(la_rules_dev->parent);
}

static void la_lock_rtnl(bool take)
{
	if (take)
		rtnl_lock();
	else
		rtnl_unlock();
}

static void la_lock_mm(bool take)
{
	if (take)
		mmap_write_lock(la_rules_mm);
	else
		mmap_write_unlock(la_rules_mm);
}

static int la_lockhold_fn(void *data)
{
	struct la_lockhold *h = data;

	h->lock(true);
	complete(&h->held);
	wait_for_completion(&h->release);
	h->lock(false);
	kthread_complete_and_exit(&h->done, 0);
}

/* call(k) while kthread name holds the lock; its pid, or -errno */
static int la_while_held(void (*lock)(bool), const char *name,
			 int (*call)(int), int k)
{
	struct la_lockhold h = {.lock = lock};
	struct task_struct *t;
	int pid;

	init_completion(&h.held);
	init_completion(&h.release);
	init_completion(&h.done);
	t = kthread_run(la_lockhold_fn, &h, "%s", name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	pid = task_pid_nr(t);
	wait_for_completion(&h.held);
	call(k);
	complete(&h.release);
	wait_for_completion(&h.done);
	return pid;
}

static void la_run_rules(struct device *dev, int k)
{
	int pp, rp, mp;

	la_rules_dev = dev;
	la_rules_mm = current->mm;
	if (!dev->parent || !la_rules_mm) {
		pr_err("la_test: rules: no parent device or no mm\n");
		return;
	}
	la_path_held(k);
	la_path_unlocked(k);
	pp = la_while_held(la_lock_path, "la_path_holder", la_path_other, k);
	la_path_null(k);
	la_rtnl_held(k);
	la_rtnl_unlocked(k);
	rp = la_while_held(la_lock_rtnl, "la_rtnl_holder", la_rtnl_other, k);
	la_vma_write(k);
	la_vma_read(k);
	la_vma_unlocked(k);
	mp = la_while_held(la_lock_mm, "la_mm_holder", la_vma_other, k);
	pr_info("la_test: rules=%d done=%d path_holder=%d rtnl_holder=%d mm_holder=%d\n",
		k, la_rules_done, pp, rp, mp);
}

struct la_holder {
	struct device **devs;
	int k;
	struct completion held;
	struct completion release;
	bool timed_out; /* core_other: let go after 10 s without release */
};

/* Lock each distinct device of devs[0..k-1] once (devs repeat unless fresh). */
static void la_holder_lock(struct la_holder *h, bool lock)
{
	int i;

	for (i = 0; i < h->k; i++) {
		if (i > 0 && h->devs[i] == h->devs[i - 1])
			continue;
		if (lock)
			device_lock(h->devs[i]);
		else
			device_unlock(h->devs[i]);
	}
}

static int la_holder_fn(void *arg)
{
	struct la_holder *h = arg;

	la_holder_lock(h, true);
	complete(&h->held);
	if (!wait_for_completion_timeout(&h->release, 10 * HZ))
		h->timed_out = true;
	la_holder_lock(h, false);
	/* Stay around until kthread_stop() so the task can be joined safely. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static la_caller int la_run_other(struct device **devs, int k)
{
	struct la_holder h = { .devs = devs, .k = k };
	struct task_struct *t;

	init_completion(&h.held);
	init_completion(&h.release);
	t = kthread_run(la_holder_fn, &h, "la_test_holder");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&h.held);
	la_call_other(devs, k);
	complete(&h.release);
	kthread_stop(t);
	return 0;
}

/* ---- core_other: the IOMMU core racing a lock holder ---------------------- */

static struct platform_device **la_core_pdevs;
static struct completion *la_core_seen; /* [i]: la_core.i's add notified */
static int la_core_n, la_core_added;

static int la_core_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	int i;

	if (action != BUS_NOTIFY_ADD_DEVICE || !la_core_seen)
		return NOTIFY_DONE;
	for (i = 0; i < la_core_n; i++)
		if (&la_core_pdevs[i]->dev == data)
			complete(&la_core_seen[i]);
	return NOTIFY_DONE;
}

static struct notifier_block la_core_nb = { .notifier_call = la_core_notify };

/* Holds every la_core.i's lock; lets each go once its add was notified. */
static int la_core_holder_fn(void *arg)
{
	struct la_holder *h = arg;
	int i;

	la_holder_lock(h, true);
	complete(&h->held);
	for (i = 0; i < h->k; i++) {
		if (!wait_for_completion_timeout(&la_core_seen[i], 10 * HZ))
			h->timed_out = true;
		device_unlock(h->devs[i]);
	}
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Adds the devices whose locks la_core_holder holds. */
static la_caller int la_core_add(int k)
{
	int i, ret;

	for (i = 0; i < k; i++) {
		ret = platform_device_add(la_core_pdevs[i]);
		if (ret) {
			pr_err("la_test: core_other: adding la_core.%d: %d\n",
			       i, ret);
			break;
		}
		la_core_added++;
	}
	barrier();
	return la_core_added;
}

static void la_core_put(void)
{
	int i;

	for (i = 0; i < la_core_n; i++) {
		if (i < la_core_added)
			platform_device_unregister(la_core_pdevs[i]);
		else
			platform_device_put(la_core_pdevs[i]);
	}
	kfree(la_core_pdevs);
	la_core_pdevs = NULL;
	kfree(la_core_seen);
	la_core_seen = NULL;
	la_core_n = la_core_added = 0;
}

static la_caller int la_run_core_other(int k)
{
	struct la_holder h = { .k = k };
	struct device **devs;
	struct task_struct *t;
	int i, ret = 0;

	la_core_pdevs = kcalloc(k, sizeof(*la_core_pdevs), GFP_KERNEL);
	la_core_seen = kcalloc(k, sizeof(*la_core_seen), GFP_KERNEL);
	devs = kcalloc(k, sizeof(*devs), GFP_KERNEL);
	if (!la_core_pdevs || !la_core_seen || !devs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < k; i++) {
		la_core_pdevs[i] = platform_device_alloc("la_core", i);
		if (!la_core_pdevs[i]) {
			ret = -ENOMEM;
			goto out;
		}
		init_completion(&la_core_seen[i]);
		la_core_n++;
		devs[i] = &la_core_pdevs[i]->dev;
	}
	h.devs = devs;
	init_completion(&h.held);
	init_completion(&h.release);
	ret = bus_register_notifier(&platform_bus_type, &la_core_nb);
	if (ret)
		goto out;
	t = kthread_run(la_core_holder_fn, &h, "la_core_holder");
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		bus_unregister_notifier(&platform_bus_type, &la_core_nb);
		goto out;
	}
	wait_for_completion(&h.held);
	la_core_add(k);
	kthread_stop(t); /* after it let go of every lock */
	bus_unregister_notifier(&platform_bus_type, &la_core_nb);
	pr_info("la_test: core_other=%d added=%d timeout=%d\n", k,
		la_core_added, h.timed_out);
out:
	kfree(devs);
	return ret;
}

/* ---- hold_pci: PCI device locks held by another task --------------------- */

#define LA_MAX_HOLD 32
static struct pci_dev *la_hold_devs[LA_MAX_HOLD];
static int la_hold_n;
static struct task_struct *la_hold_task;
static DECLARE_COMPLETION(la_hold_held);
static DECLARE_COMPLETION(la_hold_release);

static int la_pci_holder_fn(void *arg)
{
	int i;

	for (i = 0; i < la_hold_n; i++)
		device_lock(&la_hold_devs[i]->dev);
	complete(&la_hold_held);
	wait_for_completion_timeout(&la_hold_release,
				    msecs_to_jiffies(max(hold_ms, 0)));
	for (i = la_hold_n - 1; i >= 0; i--)
		device_unlock(&la_hold_devs[i]->dev);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void la_hold_put(void)
{
	int i;

	if (la_hold_task) {
		complete(&la_hold_release);
		kthread_stop(la_hold_task);
		la_hold_task = NULL;
	}
	for (i = 0; i < la_hold_n; i++)
		pci_dev_put(la_hold_devs[i]);
	la_hold_n = 0;
}

static int la_hold_start(void)
{
	char *list, *p, *bdf;
	int ret = 0;

	list = kstrdup(hold_pci, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	for (p = list; (bdf = strsep(&p, ",")) != NULL;) {
		unsigned int dom, bus, slot, fn;
		struct pci_dev *pdev;

		if (!*bdf)
			continue;
		if (la_hold_n == LA_MAX_HOLD ||
		    sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4) {
			pr_err("la_test: hold_pci: bad or too many: %s\n", bdf);
			ret = -EINVAL;
			break;
		}
		pdev = pci_get_domain_bus_and_slot(dom, bus,
						   PCI_DEVFN(slot, fn));
		if (!pdev) {
			pr_err("la_test: hold_pci: no PCI device %s\n", bdf);
			ret = -ENODEV;
			break;
		}
		la_hold_devs[la_hold_n++] = pdev;
	}
	kfree(list);
	if (ret)
		goto err;
	la_hold_task = kthread_run(la_pci_holder_fn, NULL, "la_pci_holder");
	if (IS_ERR(la_hold_task)) {
		ret = PTR_ERR(la_hold_task);
		la_hold_task = NULL;
		goto err;
	}
	wait_for_completion(&la_hold_held);
	pr_info("la_test: hold_pci=%d held\n", la_hold_n);
	return 0;
err:
	la_hold_put();
	return ret;
}

/* ---- stress modes: flood, race, bench ------------------------------------ */

/* Shared by the flood and race workers. */
struct la_worker {
	struct task_struct *task;
	struct device *dev;
	int k;			/* calls to make */
	int done;		/* calls made */
	int errs;		/* calls returning an error */
	bool locked;		/* race_locked */
	int which;		/* -1 flood, race: 0 = a, 1 = b */
	char name[TASK_COMM_LEN];
	struct completion *go;	/* shared: released together */
	bool *abort;
	struct completion finished;
};

static la_caller int la_flood_call(struct la_worker *w)
{
	int i, ret;

	for (i = 0; i < w->k; i++) {
		ret = la_entry_raw(w->dev);
		if (ret)
			w->errs++;
		w->done++;
	}
	barrier();
	return w->done;
}

static la_caller int la_race_call_a(struct la_worker *w)
{
	int i, ret;

	for (i = 0; i < w->k; i++) {
		if (w->locked)
			device_lock(w->dev);
		ret = la_entry_raw(w->dev);
		if (w->locked)
			device_unlock(w->dev);
		if (ret)
			w->errs++;
		w->done++;
	}
	barrier();
	return w->done;
}

static la_caller int la_race_call_b(struct la_worker *w)
{
	int i, ret;

	for (i = 0; i < w->k; i++) {
		if (w->locked)
			device_lock(w->dev);
		ret = la_entry_raw(w->dev);
		if (w->locked)
			device_unlock(w->dev);
		if (ret)
			w->errs++;
		w->done++;
	}
	barrier();
	return w->done;
}

/* bench_vma=1: the timed calls are find_vma(insmod's mm, 0), k of them
 * under one mmap_read_lock (its cost spread over a batch) */
static la_caller int la_bench_vma_call(struct mm_struct *mm, int k)
{
	unsigned long sum = 0;
	int i;

	mmap_read_lock(mm);
	for (i = 0; i < k; i++)
		sum += (unsigned long)find_vma(mm, 0);
	mmap_read_unlock(mm);
	la_rules_sink += sum;
	return 0;
}

static la_caller int la_bench_call(struct device *dev, int k)
{
	int i, errs = 0;

	if (bench_vma)
		return la_bench_vma_call(current->mm, k);

	for (i = 0; i < k; i++)
		if (la_entry_raw(dev))
			errs++;
	barrier();
	return errs;
}

static int la_worker_fn(void *arg)
{
	struct la_worker *w = arg;

	wait_for_completion(w->go);
	if (!READ_ONCE(*w->abort)) {
		if (w->which < 0)
			la_flood_call(w);
		else if (w->which == 0)
			la_race_call_a(w);
		else
			la_race_call_b(w);
	}
	complete(&w->finished);
	/* Stay around until kthread_stop() so the task can be joined safely. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * Start n workers (already filled in: dev, k, which, locked), release them
 * together, wait for all, stop them.  Returns the elapsed ns from the release
 * to the last one finishing, or a negative errno.
 */
static la_caller s64 la_run_workers(struct la_worker *w, int n)
{
	DECLARE_COMPLETION_ONSTACK(go);
	bool abort = false;
	u64 t0, t1;
	int i, started = 0, err = 0;

	for (i = 0; i < n; i++) {
		w[i].go = &go;
		w[i].abort = &abort;
		init_completion(&w[i].finished);
		w[i].task = kthread_run(la_worker_fn, &w[i], "%s", w[i].name);
		if (IS_ERR(w[i].task)) {
			err = PTR_ERR(w[i].task);
			w[i].task = NULL;
			WRITE_ONCE(abort, true);
			break;
		}
		started++;
	}
	t0 = ktime_get_ns();
	complete_all(&go);
	for (i = 0; i < started; i++)
		wait_for_completion(&w[i].finished);
	t1 = ktime_get_ns();
	for (i = 0; i < started; i++)
		kthread_stop(w[i].task);
	return err ? err : (s64)(t1 - t0);
}

static void la_run_flood(struct device *dev)
{
	struct la_worker *w;
	int t = clamp(threads, 1, LA_MAX_THREADS), i, done = 0, errs = 0;
	s64 ns;

	w = kcalloc(t, sizeof(*w), GFP_KERNEL);
	if (!w) {
		pr_err("la_test: flood: out of memory\n");
		return;
	}
	for (i = 0; i < t; i++) {
		w[i].dev = dev;
		w[i].which = -1;
		w[i].k = flood / t + (i < flood % t);
		snprintf(w[i].name, sizeof(w[i].name), "la_flood/%d", i);
	}
	ns = la_run_workers(w, t);
	for (i = 0; i < t; i++) {
		done += w[i].done;
		errs += w[i].errs;
	}
	if (ns < 0)
		pr_err("la_test: flood: kthread_run failed: %lld\n", ns);
	pr_info("la_test: flood=%d threads=%d done=%d ns=%lld ret_err=%d\n",
		flood, t, done, ns < 0 ? 0 : ns, errs);
	kfree(w);
}

static void la_run_race(struct device *dev)
{
	struct la_worker w[2] = {};
	s64 ns;
	int i;

	for (i = 0; i < 2; i++) {
		w[i].dev = dev;
		w[i].which = i;
		w[i].k = race;
		w[i].locked = race_locked;
		strscpy(w[i].name, i ? "la_race_b" : "la_race_a", sizeof(w[i].name));
	}
	ns = la_run_workers(w, 2);
	if (ns < 0)
		pr_err("la_test: race: kthread_run failed: %lld\n", ns);
	pr_info("la_test: race=%d race_locked=%d done_a=%d done_b=%d ns=%lld ret_err=%d\n",
		race, race_locked ? 1 : 0, w[0].done, w[1].done, ns < 0 ? 0 : ns,
		w[0].errs + w[1].errs);
}

#define LA_BATCH 1000

static int la_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void la_run_bench(struct device *dev)
{
	int errs = 0, nb = 0, left, k;
	u64 t0, t1, tb, c, m = 0, *bt;

	/* whole batches only: the median compares like with like */
	bt = kcalloc(bench / LA_BATCH + 1, sizeof(*bt), GFP_KERNEL);
	if (!bt) {
		pr_err("la_test: bench: out of memory\n");
		return;
	}
	if (settle > 0) {
		la_bench_call(dev, 1);
		msleep(settle);
	}
	t0 = ktime_get_ns();
	for (left = bench; left > 0; left -= k) {
		k = min(left, LA_BATCH);
		tb = ktime_get_ns();
		errs += la_bench_call(dev, k);
		if (k == LA_BATCH)
			bt[nb++] = ktime_get_ns() - tb;
	}
	t1 = ktime_get_ns();
	c = div64_u64((t1 - t0) * 100, bench);
	if (nb) {
		sort(bt, nb, sizeof(*bt), la_cmp_u64, NULL);
		m = div64_u64(bt[nb / 2] * 100, LA_BATCH);
	}
	kfree(bt);
	pr_info("la_test: bench=%d ns_per_call=%llu.%02llu ns=%llu ret_err=%d batch_median=%llu.%02llu batches=%d settle=%d\n",
		bench, c / 100, c % 100, t1 - t0, errs, m / 100, m % 100, nb,
		settle > 0 ? settle : 0);
}

static void la_put_devs(void)
{
	int i;

	for (i = la_npdevs - 1; i >= 0; i--)
		platform_device_unregister(la_pdevs[i]);
	kfree(la_pdevs);
	la_pdevs = NULL;
	la_npdevs = 0;
	pci_dev_put(la_pci_dev);
	la_pci_dev = NULL;
}

static int la_test_init(void)
{
	struct platform_device *pdev;
	struct device **devs = NULL;
	struct device *sdev;	/* the device of flood/race/bench */
	int ret, i, n;
	bool stress;

	if (!strcmp(entry, "acpi")) {
		la_entry_kind = LA_ENTRY_ACPI;
		if (!IS_ENABLED(CONFIG_ACPI)) {
			pr_err("la_test: entry=acpi needs CONFIG_ACPI\n");
			return -EOPNOTSUPP;
		}
	} else if (!strcmp(entry, "of")) {
		la_entry_kind = LA_ENTRY_OF;
		if (!IS_ENABLED(CONFIG_OF)) {
			pr_err("la_test: entry=of needs CONFIG_OF\n");
			return -EOPNOTSUPP;
		}
		if (of_path) {
			la_of_np = of_find_node_by_path(of_path);
		} else {
			la_of_np = of_find_node_by_path("/pcie@10000000");
			if (!la_of_np)
				la_of_np = of_find_compatible_node(NULL, NULL,
								   "pci-host-ecam-generic");
		}
		if (!la_of_np) {
			pr_err("la_test: no device tree node %s\n",
			       of_path ?: "/pcie@10000000 or pci-host-ecam-generic");
			return -ENODEV;
		}
	} else {
		pr_err("la_test: unknown entry=%s\n", entry);
		return -EINVAL;
	}

	unlocked = max(unlocked, 0);
	locked = max(locked, 0);
	other = max(other, 0);
	flood = max(flood, 0);
	race = max(race, 0);
	bench = max(bench, 0);
	stress = flood > 0 || race > 0 || bench > 0 || rules > 0;
	n = unlocked + locked + other;
	if (pci && fresh) {
		pr_err("la_test: fresh=1 does not work with pci=\n");
		ret = -EINVAL;
		goto err_np;
	}
	devs = kcalloc(max(n, 1), sizeof(*devs), GFP_KERNEL);
	la_pdevs = kcalloc(fresh ? max(n, 1) : 1, sizeof(*la_pdevs), GFP_KERNEL);
	if (!devs || !la_pdevs) {
		ret = -ENOMEM;
		goto err_devs;
	}
	if (pci) {
		unsigned int dom, bus, slot, fn;

		if (sscanf(pci, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4) {
			pr_err("la_test: bad pci=%s (want DDDD:BB:DD.F)\n", pci);
			ret = -EINVAL;
			goto err_devs;
		}
		la_pci_dev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
		if (!la_pci_dev) {
			pr_err("la_test: no PCI device %s\n", pci);
			ret = -ENODEV;
			goto err_devs;
		}
		for (i = 0; i < n; i++)
			devs[i] = &la_pci_dev->dev;
	} else {
		/* fresh=1 with only stress modes: la_test.0 for them; none
		 * when only holding PCI devices (no device add of its own) */
		bool hold_only = hold_pci && *hold_pci && !n && !stress &&
				 core_other <= 0;

		for (i = 0; i < (fresh ? (n ? n : stress) : !hold_only); i++) {
			pdev = platform_device_register_simple("la_test",
					fresh ? i : PLATFORM_DEVID_NONE, NULL, 0);
			if (IS_ERR(pdev)) {
				ret = PTR_ERR(pdev);
				goto err_devs;
			}
			la_pdevs[la_npdevs++] = pdev;
		}
		for (i = 0; i < n; i++)
			devs[i] = &la_pdevs[fresh ? i : 0]->dev;
	}

	if (unlocked > 0)
		la_call_unlocked(devs, unlocked);
	if (locked > 0)
		la_call_locked(devs + unlocked, locked);
	if (other > 0) {
		ret = la_run_other(devs + unlocked + locked, other);
		if (ret)
			pr_err("la_test: kthread_run failed: %d\n", ret);
	}
	sdev = la_pci_dev ? &la_pci_dev->dev : la_npdevs ? &la_pdevs[0]->dev : NULL;
	if (sdev && wq > 0) {
		la_wq_dev = sdev;
		schedule_work(&la_work);
		flush_work(&la_work);
	}
	if (sdev && child > 0) {
		ret = la_run_child(sdev, child);
		if (ret)
			pr_err("la_test: child: %d\n", ret);
	}
	if (wq > 0 || child > 0)
		pr_info("la_test: wq=%d child=%d\n", la_done_wq, la_done_child);

	pr_info("la_test: unlocked=%d locked=%d other=%d entry=%s ret_zero=%d ret_err=%d last_err=%d dev=%s%s\n",
		la_done_unlocked, la_done_locked, la_done_other, entry,
		la_ret_zero, la_ret_err, la_last_err,
		la_pci_dev ? dev_name(&la_pci_dev->dev) :
		fresh ? "la_test.0.." : "la_test",
		fresh ? " fresh" : "");
	if (la_of_np)
		pr_info("la_test: np=%pOF of_id=0x%x\n", la_of_np, of_id);
	if (hold_pci && *hold_pci) {
		ret = la_hold_start();
		if (ret)
			goto err_devs;
	}
	if (core_other > 0) {
		ret = la_run_core_other(core_other);
		if (ret)
			pr_err("la_test: core_other: %d\n", ret);
	}
	if (sdev && rules > 0)
		la_run_rules(sdev, rules);
	if (sdev && flood > 0)
		la_run_flood(sdev);
	if (sdev && race > 0)
		la_run_race(sdev);
	if (sdev && bench > 0)
		la_run_bench(sdev);
	kfree(devs);
	return 0;

err_devs:
	kfree(devs);
	la_hold_put();
	la_core_put();
	la_put_devs();
err_np:
	of_node_put(la_of_np);
	return ret;
}

static void la_test_exit(void)
{
	if (la_child_pdev)
		platform_device_unregister(la_child_pdev);
	la_hold_put();
	la_core_put();
	la_put_devs();
	of_node_put(la_of_np);
}

module_init(la_test_init);
module_exit(la_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lockaudit ground-truth test module (deliberately buggy)");
