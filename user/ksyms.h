/* SPDX-License-Identifier: GPL-2.0 */
/* ksyms.h - /proc/kallsyms with module names: address -> "func+0xoff [module]"
 */
#ifndef LA_KSYMS_H
#define LA_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LA_KALLSYMS "/proc/kallsyms"
#define LA_MODULES  "/proc/modules"

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for vmlinux */
};

struct ksyms;

/*
 * Load a kallsyms-format file (text symbols only). Returns NULL with errno
 * set on failure: ENOENT/EACCES from open, EPERM when every address reads
 * as zero (kptr_restrict hides them), ENODATA when no symbol was found.
 */
struct ksyms *ksyms__load(const char *path);
/*
 * The same, and drop stale module symbols: with ftrace active the kernel
 * keeps listing a module's freed __init functions, whose addresses are
 * later reused by other modules. modules is a /proc/modules-format file
 * (name size refs deps state addr); a symbol of a Live module outside the
 * module's [addr, addr+size) is stale. NULL or unreadable: no filtering.
 */
struct ksyms *ksyms__load_live(const char *path, const char *modules);
/*
 * ksyms__load_live, and in the same read the addresses of n vmlinux symbols
 * of any type (data too: needs CONFIG_KALLSYMS_ALL; 0 for each absent):
 * one read of kallsyms instead of two (each costs the kernel a while).
 */
struct ksyms *ksyms__load_live_addrs(const char *path, const char *modules,
				     const char *const *names, uint64_t *addrs,
				     size_t n);
void ksyms__free(struct ksyms *ks);
size_t ksyms__count(const struct ksyms *ks);

/* The symbol containing addr (the nearest at or below it), or NULL. */
const struct ksym *ksyms__find(const struct ksyms *ks, uint64_t addr);
/* The first symbol named name (optionally in module; NULL: any), or NULL. */
const struct ksym *ksyms__by_name(const struct ksyms *ks, const char *name,
				  const char *module);

/*
 * Format addr as "func+0xoff [module]" ("func+0xoff" in vmlinux,
 * "0xaddr" when unknown) into buf. Returns buf.
 */
char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf,
		    size_t len);

/*
 * What lockaudit's module records say about a module's text over time
 * (CLOCK_BOOTTIME): [base, base+size) held its code from load_ns (0: loaded
 * before recording began) to unload_ns (0: still loaded). init: the range
 * is the module's __init text, which is freed once the module is Live and
 * may then hold another module's code. 0 or -ENOMEM.
 */
int ksyms__add_module_record(struct ksyms *ks, const char *name, uint64_t base,
			     uint64_t size, uint64_t load_ns,
			     uint64_t unload_ns, bool init);

/*
 * Like ksyms__format, for code that ran at t_ns: of the module records
 * whose range holds addr at t_ns, the latest loaded decides. A loaded
 * module's text formats from kallsyms; an unloaded module's as
 * "module.ko+0xoff [module]"; __init text as "module.init+0xoff [module]"
 * (kallsyms no longer knows freed init code). Without a matching record,
 * plain ksyms__format.
 */
char *ksyms__format_at(const struct ksyms *ks, uint64_t addr, uint64_t t_ns,
		       char *buf, size_t len);

/*
 * A name the kernel gave a module frame when the site was made (%pS, kept
 * in the "symnames" map by address and module generation: fd, -1 for
 * none), else ksyms__format_at. The kernel's name is the truth of the
 * call's time, also for a module unloaded before the report.
 */
void ksyms__set_names_map(struct ksyms *ks, int fd);
char *ksyms__format_gen(const struct ksyms *ks, uint64_t addr, uint64_t gen,
			uint64_t t_ns, char *buf, size_t len);
/* "func+0xoff/0xsize [mod]" (%pS) -> "func+0xoff [mod]"; false if it is
 * not a symbol (a bare address) or does not fit */
bool ksyms__kname_format(const char *kname, char *buf, size_t len);

#endif
