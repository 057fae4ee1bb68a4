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
 * entry=acpi  acpi_dma_configure_id(dev, DEV_DMA_COHERENT, NULL) (x86 default)
 * entry=of    of_dma_configure_id(dev, of_find_node_by_path(of_path), true,
 *             &of_id) (needs CONFIG_OF; arm64 virt: of_path=/pcie@10000000)
 *
 * Each kind is made from its own noinline function and the entry point is
 * called directly from it (sibling calls are disabled in Kbuild), so the
 * immediate caller on the stack names the kind.  No function is __init/__exit
 * /__cold (arm64 ftrace needs them aligned; see tests/vm/README.md).
 * All work happens in module init, i.e. during insmod, and one summary line is
 * printed:
 *   la_test: unlocked=U locked=L other=O entry=E ret_zero=Z ret_err=N last_err=R
 */
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
static char *entry = IS_ENABLED(CONFIG_ACPI) ? "acpi" : "of";
module_param(entry, charp, 0444);
MODULE_PARM_DESC(entry, "acpi (acpi_dma_configure_id) or of (of_dma_configure_id)");
static char *of_path = "/pcie@10000000";
module_param(of_path, charp, 0444);
MODULE_PARM_DESC(of_path, "entry=of: device tree node passed as np");
static uint of_id = 0x1230;
module_param(of_id, uint, 0444);
MODULE_PARM_DESC(of_id, "entry=of: input id");
static char *pci;
module_param(pci, charp, 0444);
MODULE_PARM_DESC(pci, "use this PCI device (DDDD:BB:DD.F) instead of the la_test platform device");

enum la_entry { LA_ENTRY_ACPI, LA_ENTRY_OF };

static enum la_entry la_entry_kind;
static struct device_node *la_of_np;
static struct platform_device *la_pdev;
static struct pci_dev *la_pci_dev;

static int la_ret_zero, la_ret_err, la_last_err;
static int la_done_unlocked, la_done_locked, la_done_other;

/* Inlined into each la_call_*: the entry point's caller is la_call_*. */
static __always_inline int la_entry_call(struct device *dev)
{
	int ret;

	if (la_entry_kind == LA_ENTRY_OF)
		ret = of_dma_configure_id(dev, la_of_np, true, &of_id);
	else
		ret = acpi_dma_configure_id(dev, DEV_DMA_COHERENT, NULL);
	if (ret) {
		la_ret_err++;
		la_last_err = ret;
	} else {
		la_ret_zero++;
	}
	return ret;
}

static la_caller int la_call_unlocked(struct device *dev, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(dev);
		la_done_unlocked++;
	}
	barrier();
	return la_done_unlocked;
}

static la_caller int la_call_locked(struct device *dev, int k)
{
	int i;

	device_lock(dev);
	for (i = 0; i < k; i++) {
		la_entry_call(dev);
		la_done_locked++;
	}
	device_unlock(dev);
	barrier();
	return la_done_locked;
}

/* Caller's side of other=K: the lock is held by la_test_holder meanwhile. */
static la_caller int la_call_other(struct device *dev, int k)
{
	int i;

	for (i = 0; i < k; i++) {
		la_entry_call(dev);
		la_done_other++;
	}
	barrier();
	return la_done_other;
}

struct la_holder {
	struct device *dev;
	struct completion held;
	struct completion release;
};

static int la_holder_fn(void *arg)
{
	struct la_holder *h = arg;

	device_lock(h->dev);
	complete(&h->held);
	wait_for_completion(&h->release);
	device_unlock(h->dev);
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

static la_caller int la_run_other(struct device *dev, int k)
{
	struct la_holder h = { .dev = dev };
	struct task_struct *t;

	init_completion(&h.held);
	init_completion(&h.release);
	t = kthread_run(la_holder_fn, &h, "la_test_holder");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&h.held);
	la_call_other(dev, k);
	complete(&h.release);
	kthread_stop(t);
	return 0;
}

static int la_test_init(void)
{
	struct device *dev;
	int ret;

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
		la_of_np = of_find_node_by_path(of_path);
		if (!la_of_np) {
			pr_err("la_test: no device tree node %s\n", of_path);
			return -ENODEV;
		}
	} else {
		pr_err("la_test: unknown entry=%s\n", entry);
		return -EINVAL;
	}

	if (pci) {
		unsigned int dom, bus, slot, fn;

		if (sscanf(pci, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4) {
			pr_err("la_test: bad pci=%s (want DDDD:BB:DD.F)\n", pci);
			ret = -EINVAL;
			goto err_np;
		}
		la_pci_dev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
		if (!la_pci_dev) {
			pr_err("la_test: no PCI device %s\n", pci);
			ret = -ENODEV;
			goto err_np;
		}
		dev = &la_pci_dev->dev;
	} else {
		la_pdev = platform_device_register_simple("la_test", PLATFORM_DEVID_NONE,
							  NULL, 0);
		if (IS_ERR(la_pdev)) {
			ret = PTR_ERR(la_pdev);
			la_pdev = NULL;
			goto err_np;
		}
		dev = &la_pdev->dev;
	}

	if (unlocked > 0)
		la_call_unlocked(dev, unlocked);
	if (locked > 0)
		la_call_locked(dev, locked);
	if (other > 0) {
		ret = la_run_other(dev, other);
		if (ret)
			pr_err("la_test: kthread_run failed: %d\n", ret);
	}

	pr_info("la_test: unlocked=%d locked=%d other=%d entry=%s ret_zero=%d ret_err=%d last_err=%d dev=%s\n",
		la_done_unlocked, la_done_locked, la_done_other, entry,
		la_ret_zero, la_ret_err, la_last_err, dev_name(dev));
	return 0;

err_np:
	of_node_put(la_of_np);
	return ret;
}

static void la_test_exit(void)
{
	if (la_pdev)
		platform_device_unregister(la_pdev);
	pci_dev_put(la_pci_dev);
	of_node_put(la_of_np);
}

module_init(la_test_init);
module_exit(la_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lockaudit ground-truth test module (deliberately buggy)");
