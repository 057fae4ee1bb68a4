/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockaudit.h - the only contract between the BPF programs and user space:
 * hook slots, lock states, the aggregation key and value, the ring-buffer
 * event and the counters. Nothing else is shared.
 *
 * Included by bpf/lockaudit.bpf.c (after vmlinux.h) and by user space (after
 * <linux/types.h>), so it uses only __u32/__u64 and plain C.
 */
#ifndef LOCKAUDIT_H
#define LOCKAUDIT_H

/*
 * Rules watched at once. The object holds one program per attach type;
 * user space loads an fentry (and fexit) clone of it per rule, the rule's
 * slot patched into it (LA_SLOT_MARK), and attaches the one kprobe (and
 * kretprobe) program once per rule with the slot as its cookie.
 */
#define LA_MAX_HOOKS	  256
#define LA_SLOT_TEMPLATE  LA_MAX_HOOKS /* the template's slot: watches nothing */
#define LA_SLOT_MARK	  0x4c41534c4f540000ULL /* "LASLOT", | slot */
#define LA_SLOT_MARK_MASK 0xffffULL
/* in an fentry clone's mark: its exit is hooked, track concurrency (the
 * kprobe program reads la_config.races instead) */
#define LA_SLOT_RACES	  0x8000U
#define LA_SLOT_MASK	  0x7fffU
_Static_assert(LA_MAX_HOOKS % 64 == 0 && LA_MAX_HOOKS <= 256,
	       "caller tags keep 8 bits of hook, races a bitmap of u64s");
#define LA_MAX_STACK	32   /* kernel frames kept per site (innermost first) */
#define LA_MAX_EXAMPLES 4    /* example devices kept per site */
#define LA_MAX_SITES	8192 /* aggregation map capacity */
#define LA_NAME_LEN	40   /* device and driver names */
#define LA_BUS_LEN	16
#define LA_COMM_LEN	16

/* Lock state of the watched lock when the entry point runs. */
enum la_lock_state {
	LA_HELD = 0,	   /* held by the calling task: fine */
	LA_UNLOCKED = 1,   /* nobody holds it: violation */
	LA_HELD_OTHER = 2, /* another task holds it: violation */
	LA_READ_HELD = 3,  /* an rwsem held for read by some task that cannot
			    * be named (production kernels do not record a
			    * reader): fine unless the rule asserts a write
			    * hold */
	LA_NR_STATES = 4,
};

/* How to reach the lock from the hooked argument, and what kind it is. */
enum la_lock_kind {
	LA_LOCK_DEV_MUTEX =
		0, /* struct device *arg; &arg->mutex (device_lock) */
	LA_LOCK_PATH = 1, /* a rule's lock: hook_path[slot] from the base */
	LA_NR_LOCK_KINDS,
};

/* Which ring-buffer events the programs emit. */
enum la_event_mode {
	LA_EVENTS_NONE = 0,
	LA_EVENTS_NEW_SITES = 1, /* one event when a site is first seen */
	LA_EVENTS_ALL = 2,	 /* one event per audited call */
};

/* la_key.flags and la_event.flags */
#define LA_F_KPROBE	(1u << 0) /* recorded by the kprobe twin */
#define LA_F_LR_FRAME	(1u << 1) /* ips[1] is the saved link register */
#define LA_F_NEW_SITE	(1u << 2) /* event: first call seen at this site */
#define LA_F_REGISTERED (1u << 3) /* device was registered (in sysfs) */
#define LA_F_PROBE_LOCK (1u << 4) /* caller held iommu_probe_device_lock */

/*
 * Aggregation key: the full stack is part of the key, so two different
 * call paths can never be merged (no stack-id hash collisions). So is the
 * module generation: a module loaded where an unloaded one was (the same
 * addresses, often the same module again) is other code, and its calls
 * must not count into the old one's site. Unused ips are zero.
 */
struct la_key {
	__u32 hook;  /* slot in the watch list */
	__u32 state; /* enum la_lock_state */
	__u32 flags; /* LA_F_KPROBE | LA_F_LR_FRAME | LA_F_REGISTERED |
		      * LA_F_PROBE_LOCK: facts that split a site */
	__u32 nr_ips;
	__u64 gen; /* module generation (map "modgen") when called */
	__u64 ips[LA_MAX_STACK];
};

struct la_dev {
	__u64 ptr; /* struct device address, identity only */
	char name[LA_NAME_LEN];
	char bus[LA_BUS_LEN];
	char driver[LA_NAME_LEN]; /* bound driver, "" if none */
	__u32 registered;	  /* kobj.state_in_sysfs */
	__u32 pad;
};

struct la_site {
	__u64 count;	/* exact: atomically incremented */
	__u64 first_ns; /* CLOCK_BOOTTIME */
	__u64 last_ns;
	__u32 holder_pid; /* LA_HELD_OTHER: last holder seen */
	__u32 nr_devs;	  /* slots claimed in devs[] */
	char holder_comm[LA_COMM_LEN];
	struct la_dev devs[LA_MAX_EXAMPLES];
};

#define LA_EVENTS_SIZE (1 << 20) /* ring buffer "events", bytes */

struct la_event {
	__u32 hook;
	__u32 state;
	__u32 flags;
	__u32 nr_ips;
	__u32 pid; /* thread id */
	__u32 tgid;
	__u32 cpu;
	__u32 holder_pid;
	__u64 ts_ns;  /* CLOCK_BOOTTIME */
	__u64 modgen; /* module loads+unloads so far (map "modgen") */
	char comm[LA_COMM_LEN];
	char holder_comm[LA_COMM_LEN];
	struct la_dev dev;
	__u64 ips[LA_MAX_STACK];
};

/*
 * Concurrent configuration of one device, seen happening: a task entered a
 * watched function for a device while another task was still inside one
 * for the same device (map "races"). Entry and exit are both hooked.
 */
#define LA_MAX_NEST	4    /* watched calls nested in one task, tracked */
#define LA_MAX_INFLIGHT 4096 /* devices with a task inside, tasks inside */
#define LA_MAX_RACES	1024

struct la_race_key {
	__u32 hook[2]; /* [0] the task already inside, [1] the one entering */
	__u32 nr_ips[2];
	__u64 gen; /* module generation at the entry (as la_key.gen) */
	__u64 ips[2][LA_MAX_STACK];
};

struct la_race {
	__u64 count;
	__u64 first_ns;
	__u64 last_ns;
	__u32 pid[2];
	char comm[2][LA_COMM_LEN];
	struct la_dev dev; /* the last device seen */
};

/* Runtime settings (one-entry array map "settings"): changed while attached,
 * e.g. when `run` adopts state pinned by `boot`. */
struct la_config {
	__u32 event_mode; /* enum la_event_mode */
	__u32 pad;
	/* bit per hook slot whose exit is hooked: track concurrency (no exit
	 * hook, no tracking) */
	__u64 races[LA_MAX_HOOKS / 64];
};

/*
 * Calls counted by their immediate caller alone (map "callers"). A full
 * stack walk is most of a call's cost, so once user space has seen a site
 * whose culprit is the immediate caller itself (a driver's own function,
 * not generic machinery), it enters that caller here and later calls from
 * it only bump a count.
 *
 * The table is a direct-mapped array (no hash-map lookup on the fast path):
 * an entry lives at la_caller_slot() or one of the LA_CALLER_PROBES slots
 * after it. User space writes an entry once, through mmap, into a free slot
 * and never reuses it; the programs only bump its count and fill devs[].
 * Exact: the tag holds everything the full key's attribution depends on,
 * and the module generation, so a caller address whose module was
 * unloaded or replaced never matches an old entry. A miss takes the full
 * path (map "sites"), whose key holds the module generation too: the
 * first call in a new generation is a new site, reported, and its caller
 * is entered for that generation. A table without a free slot left for a
 * caller leaves it on the full path: exact, only slower.
 */
#define LA_CALLER_BITS	 11
#define LA_MAX_CALLERS	 (1u << LA_CALLER_BITS)
#define LA_CALLER_PROBES 8

/*
 * One word, so that a reader never matches a half-written entry: bit 0 set
 * (a free slot's tag is 0), the key's flags (as la_key.flags) in bits 1-8,
 * state in 9-10, hook in 11-18, the module generation above.
 */
#define LA_CALLER_TAG_GEN_SHIFT 19
#define LA_CALLER_TAG(gen, hook, state, flags)                                 \
	(1ULL | ((__u64)((flags)&0xff) << 1) | ((__u64)((state)&3) << 9) |     \
	 ((__u64)((hook)&0xff) << 11) |                                        \
	 ((__u64)(gen) << LA_CALLER_TAG_GEN_SHIFT))

static inline __u32 la_caller_slot(__u64 caller, __u64 tag)
{
	__u64 h = (caller ^ (tag * 0x9e3779b97f4a7c15ULL)) *
		  0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> (64 - LA_CALLER_BITS));
}

struct la_caller {
	/* the programs read these two; user space writes tag, then caller */
	__u64 caller; /* return address into the immediate caller; 0: free */
	__u64 tag;    /* LA_CALLER_TAG(module generation, hook, state, flags) */
	__u64 count;  /* programs: calls counted here, atomically */
	/* programs: devices seen through this caller on the full path; later
	 * calls for them (or for any, once full) are counted here */
	__u64 devs[LA_MAX_EXAMPLES];
	/* user space */
	__u64 seen_count;  /* count when the collector last looked */
	__u64 seen_ns;	   /* CLOCK_BOOTTIME when it last saw count grow */
	__u64 rep_ns;	   /* when rep was seen: symbolize it as of then */
	struct la_key rep; /* a full site through this caller */
};

/*
 * Module text ranges over time (map "mods", key la_mod_key), so that a
 * stack into a module unloaded before the report can still name it.
 * unload_ns is 0 while loaded; load_ns is 0 for modules loaded before the
 * programs were attached.
 */
#define LA_MOD_NAME_LEN 56 /* MODULE_NAME_LEN on 64-bit */
#define LA_MAX_MODS	1024

struct la_mod_key {
	__u64 base;
	__u64 load_ns;
};

struct la_mod {
	char name[LA_MOD_NAME_LEN];
	__u64 size;	 /* text at key.base */
	__u64 init_base; /* __init text, freed (and reused) once the module */
	__u64 init_size; /* is Live; 0 if unknown */
	__u64 unload_ns;
};

/*
 * A rule's lock, resolved in user space from BTF (user/rules*.c, rules as
 * data, issue 17): v = the base value (the argument's value, or the
 * global's address); for i in 0..nr_derefs-1: v = *(u64 *)(v + off[i]);
 * the lock is at v + off[nr_derefs].
 */
#define LA_RULE_MAX_DEREFS 4
enum la_rule_base { LA_BASE_ARG = 0, LA_BASE_GLOBAL = 1 };
enum la_rule_lock { LA_RLOCK_MUTEX = 0, LA_RLOCK_RWSEM = 1 };
enum la_rule_hold { LA_HOLD_ANY = 0, LA_HOLD_WRITE = 1, LA_HOLD_READ = 2 };
struct la_lockpath {
	__u32 base;	 /* enum la_rule_base */
	__u32 arg;	 /* LA_BASE_ARG: parameter index (0..5) */
	__u64 addr;	 /* LA_BASE_GLOBAL: the symbol's address (kallsyms), 0
			  * if unknown */
	__u32 nr_derefs; /* 0..LA_RULE_MAX_DEREFS */
	__u32 lock;	 /* enum la_rule_lock */
	__u32 hold;	 /* enum la_rule_hold */
	__u32 pad;
	__s64 off[LA_RULE_MAX_DEREFS + 1];
};

/* A rule slot as the programs read it (read-only data "hook_slot", filled
 * before load): the device argument, the lock kind, a rule's path. */
struct la_rule_slot {
	__u32 arg;		 /* argument holding the object */
	__u32 lock;		 /* enum la_lock_kind */
	struct la_lockpath path; /* LA_LOCK_PATH: the rule's lock from its
				  * base, resolved from BTF */
};

/*
 * What user space needs to read pinned state without the process that
 * attached it (map "meta", one entry, written by user space only).
 */
#define LA_META_ABI   13 /* bump when any shared layout changes */
#define LA_FUNC_LEN   64
#define LA_REASON_LEN 200

#define LA_RULE_LEN 160 /* a rule's assertion as written */
#define LA_SRC_LEN  160 /* where it was written: "FILE:LINE" */

struct la_meta_hook {
	char func[LA_FUNC_LEN];
	__u32 attached; /* 0 absent, 1 fentry, 2 kprobe */
	__u32 lock;	/* enum la_lock_kind */
	char reason[LA_REASON_LEN];
	/* the rule this hook checks, as the programs were given it */
	char rule[LA_RULE_LEN];
	char src[LA_SRC_LEN];
	__u32 arg;		    /* LA_LOCK_DEV_MUTEX: the device argument */
	__u32 pad;
	struct la_lockpath path;    /* LA_LOCK_PATH (hold: path.hold) */
};

/* what user/pin.c pins by name: its maps, and links per hook slot */
#define LA_META_MAPS  10
#define LA_META_LINKS (2 * LA_MAX_HOOKS + 2) /* link_N, link_exit_N, mod */

struct la_meta {
	__u32 abi; /* LA_META_ABI */
	__u32 nr_hooks;
	__u64 instance; /* random (getrandom), never 0: one pinning */
	__u64 probe_lock_addr;
	__u64 attached_boot_ns; /* CLOCK_BOOTTIME when attached */
	__u64 attached_real_s;	/* wall clock when attached */
	/* kernel ids of the objects pinned with this meta (0: none), so
	 * that a map or link pinned in place of one of them is not used */
	__u32 map_ids[LA_META_MAPS];
	__u32 link_ids[LA_META_LINKS];
	struct la_meta_hook hooks[LA_MAX_HOOKS];
};

/*
 * Module frames named by the kernel when a site is first made (map
 * "symnames"): "func+0xoff/0xsize [module]" as %pS prints it, kept by
 * (address, module generation), so a module unloaded before the report is
 * still named by function. Frames in the core kernel text are not kept.
 */
#define LA_SYMNAME_LEN	128
#define LA_MAX_SYMNAMES 8192
struct la_symkey {
	__u64 addr;
	__u64 gen; /* module generation (la_key.gen) of the call */
};

/* Indexes into the per-CPU counters array. */
enum la_counter {
	/* calls audited: LA_CNT_CALLS + hook * LA_NR_STATES + state, but for
	 * those counted in a "callers" entry (its tag has hook and state) */
	LA_CNT_CALLS = 0,
	LA_CNT_SITE_DROPS = LA_MAX_HOOKS * LA_NR_STATES, /* map full/busy */
	LA_CNT_EVENT_DROPS,				 /* ring buffer full */
	LA_CNT_STACK_ERRS,  /* bpf_get_stack failed: site has no stack */
	LA_CNT_MOD_DROPS,   /* module records that did not fit */
	LA_CNT_RACE_DROPS,  /* concurrent findings that did not fit */
	LA_CNT_TRACK_DROPS, /* calls not tracked for concurrency (map full) */
	LA_CNT_SYM_DROPS,   /* module frames not named (map "symnames" full) */
	LA_CNT_PATH_ERRS,   /* calls whose lock could not be reached: a NULL or
			     * unreadable pointer on the rule's path (never
			     * judged "unlocked") */
	LA_NR_COUNTERS,
};

#endif /* LOCKAUDIT_H */
