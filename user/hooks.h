/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.h - the watch list as data, and attaching it by trial: fentry where
 * the kernel takes it, else the kprobe twin, else absent with the reason.
 */
#ifndef LA_HOOKS_H
#define LA_HOOKS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "lockaudit.h"

struct ksyms;
struct lockaudit_bpf;
struct bpf_link;

/*
 * One watched rule: "the lock this assertion names must be held by the
 * caller when func runs", as the programs are given it (built from a rule
 * file by ruleset.c, or read back from pinned state by pin.c).
 */
struct la_hook_def {
	char func[LA_FUNC_LEN];
	unsigned int arg;	 /* LA_LOCK_DEV_MUTEX: the device argument */
	enum la_lock_kind lock;	 /* the device's mutex, or a rule's path */
	struct la_lockpath path; /* LA_LOCK_PATH; path.hold for any kind */
	char rule[LA_RULE_LEN];	 /* the assertion as written */
	char src[LA_SRC_LEN];	 /* "FILE:LINE" of the rule */
};

/* The rules a command may watch, in file order (ruleset.c). */
struct la_ruleset {
	size_t nr;
	struct la_hook_def def[LA_MAX_HOOKS];
};

enum la_attach_mode {
	LA_MODE_AUTO = 0,
	LA_MODE_FENTRY,
	LA_MODE_KPROBE,
};

enum la_attached {
	LA_ATTACHED_NONE = 0,
	LA_ATTACHED_FENTRY,
	LA_ATTACHED_KPROBE,
};

struct la_hook {
	const struct la_hook_def *def; /* slot = index in la_hooks.hook[] */
	bool in_kallsyms, in_btf;
	enum la_attached attached;
	char reason[200]; /* why not fentry, or why absent; "" if none */
	int fentry_err, kprobe_err; /* -errno of the failed attempts, 0 if
				     * none was made or it worked */
	bool fentry_failed; /* its fentry loaded but did not attach (auto):
			     * the next load has its kprobe */
	char module[LA_MOD_NAME_LEN]; /* the function's module, "" vmlinux */
	/* fentry: this rule's clone of the template and its link (fds, -1
	 * none); fexit likewise for --races */
	int prog_fd, link_fd, exit_prog_fd, exit_link_fd;
	/* kprobe: the one kprobe program attached for this rule */
	struct bpf_link *link;
	struct bpf_link *exit_link; /* kretprobe: concurrency tracking */
};

/* The fd of hook's entry (exit) link, -1 if none. */
int hooks__link_fd(const struct la_hook *hk, bool exit);

/* The maps collect reads: from the loaded object, or pinned (pin.c). */
struct la_maps {
	int sites, counters, events, settings, mods, meta, modgen, races,
		callers, symnames;
};

struct la_hooks {
	size_t nr;
	struct la_hook hook[LA_MAX_HOOKS];
	struct la_hook_def def[LA_MAX_HOOKS]; /* hook[i].def = &def[i] */
	struct lockaudit_bpf *skel; /* NULL when adopted from pinned state */
	struct la_maps maps;
	struct bpf_link *mod_links[2]; /* module load/unload records */
	__u64 probe_lock_addr;	/* as attached: 0 if the kernel has none */
	__u64 attached_boot_ns; /* CLOCK_BOOTTIME when attached */
	__u64 attached_real_s;	/* wall clock when attached */
	bool adopted;		/* pinned by an earlier `lockaudit boot` */
};

/*
 * Select hooks among the rules by a comma-separated list of function names
 * (NULL or "all": every rule; a function with several rules selects them
 * all). Returns 0, or -ENOENT naming the unknown one in err.
 */
int hooks__select(struct la_hooks *h, const struct la_ruleset *rs,
		  const char *list, char *err, size_t errlen);

struct la_attach_opts {
	enum la_attach_mode mode;
	const char *btf_path;  /* BTF for CO-RE if the kernel exposes none */
	bool kernel_btf;       /* /sys/kernel/btf/vmlinux exists */
	__u64 probe_lock_addr; /* &iommu_probe_device_lock, 0 if none */
	__u64 text_start, text_end; /* core kernel text (_stext, _etext):
				     * module frames outside it are named by
				     * the kernel at site creation; 0: none */
	bool races; /* hook exits too: track concurrent calls per device */
};

/*
 * Open, load and attach. Every selected hook ends up fentry, kprobe or
 * absent with a reason. Returns the number attached (0 is not an error
 * here), or -errno if the BPF object cannot be loaded (reason in err).
 */
int hooks__attach(struct la_hooks *h, const struct ksyms *ks,
		  const struct la_attach_opts *o, char *err, size_t errlen);
void hooks__detach(struct la_hooks *h);

/*
 * The maps user space holds, the one table: the i-th map's name in the BPF
 * object (NULL past the last; also its pin file name) and its fd's slot in
 * m. In la_meta.map_ids[] order: part of the pinned layout (pin.c).
 */
const char *hooks__map(struct la_maps *m, size_t i, int **fd);
const char *hooks__map_name(size_t i);
int *hooks__map_fd(struct la_maps *m, size_t i);
const char *hooks__attached_name(enum la_attached a);
/*
 * Nothing attached because the kernel refuses tracing as a whole: every hook
 * in kallsyms failed fentry with the same error (EPERM: lockdown, an LSM or
 * seccomp) and kprobe with the same error. Then one line says why, in
 * buf (the per-hook reasons say the same thing again and again).
 */
bool hooks__tracing_refused(const struct la_hooks *h, char *buf, size_t len);
/* Forward libbpf's messages to stderr (verbose) or keep them quiet. */
void hooks__set_verbose(bool verbose);

#endif
