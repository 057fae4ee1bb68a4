// SPDX-License-Identifier: GPL-2.0
/*
 * lockaudit.bpf.c - is the watched lock held by the caller when a watched
 * function runs?
 *
 * One program per attach type (fentry, kprobe, and the exits). User space
 * fills the read-only tables (maps.bpf.h) with every rule before load, then
 * loads a clone of the fentry program per rule, its slot patched in
 * (clone_mark), and attaches the kprobe program once per rule, the slot as
 * the cookie. Everything a program
 * records is exact: the aggregation key holds the whole stack, counts are
 * atomic, and whatever does not fit is counted as dropped.
 *
 * This file holds the programs (entry points) and the full path (audit);
 * one BPF object, its parts in headers: maps.bpf.h (maps, settings, the
 * lookup-or-init helper), core_fixes.bpf.h (layouts across kernels),
 * facts.bpf.h (lock state, device record), modules.bpf.h (module records),
 * callers.bpf.h (the caller fast path), races.bpf.h (--races).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"

/* first, as it always was: the BTF of the object lists globals in order */
char LICENSE[] SEC("license") = "GPL";

#include "maps.bpf.h"
#include "core_fixes.bpf.h"
#include "facts.bpf.h"
#include "modules.bpf.h"
#include "callers.bpf.h"
#include "races.bpf.h"

/* Keep up to LA_MAX_EXAMPLES distinct devices per site. */
static __always_inline void add_example(struct la_site *s, struct device *dev)
{
	__u64 ptr = (__u64)dev;
	__u32 i;

	for (i = 0; i < LA_MAX_EXAMPLES; i++) {
		__u64 cur = s->devs[i].ptr;

		if (cur == ptr)
			return;
		if (cur)
			continue;
		if (__sync_val_compare_and_swap(&s->devs[i].ptr, 0, ptr) != 0)
			continue; /* another CPU took this slot */
		read_dev(&s->devs[i], dev);
		s->devs[i].ptr = ptr;
		__sync_fetch_and_add(&s->nr_devs, 1);
		return;
	}
}

static __always_inline void emit(struct la_key *key, struct la_site *site,
				 struct device *dev, __u64 now, __u32 flags)
{
	struct la_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(LA_CNT_EVENT_DROPS);
		return;
	}
	e->hook = key->hook;
	e->state = key->state;
	e->flags = key->flags | flags;
	e->nr_ips = key->nr_ips;
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->holder_pid = site ? site->holder_pid : 0;
	e->ts_ns = now;
	e->modgen = key->gen;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (site)
		__builtin_memcpy(e->holder_comm, site->holder_comm,
				 sizeof(e->holder_comm));
	else
		e->holder_comm[0] = 0;
	if (hook_lock(key->hook & (LA_MAX_HOOKS - 1)) == LA_LOCK_DEV_MUTEX)
		read_dev(&e->dev, dev);
	else
		__builtin_memset(&e->dev, 0, sizeof(e->dev));
	__builtin_memcpy(e->ips, key->ips, sizeof(e->ips));
	bpf_ringbuf_submit(e, 0);
}

/* Site bookkeeping shared by both paths: count, times, holder, examples. */
static __always_inline void account(struct la_site *site, __u32 slot,
				    __u32 state, __u64 owner, void *obj,
				    __u64 now)
{
	struct task_struct *holder;

	if (!site->first_ns)
		site->first_ns = now;
	__sync_fetch_and_add(&site->count, 1);
	site->last_ns = now;
	if (state == LA_HELD_OTHER && owner) {
		holder = (struct task_struct *)owner;
		site->holder_pid = BPF_CORE_READ(holder, pid);
		BPF_CORE_READ_STR_INTO(&site->holder_comm, holder, comm);
	}
	/* example devices: only a device's lock has a device */
	if (hook_lock(slot) == LA_LOCK_DEV_MUTEX &&
	    site->nr_devs < LA_MAX_EXAMPLES)
		add_example(site, obj);
}

/* name_frame's data: where the new site's key is (map "keys"; bpf_loop
 * passes stack memory only) */
struct name_ctx {
	__u32 key_idx;
};

/*
 * bpf_loop body: name frame i of a new site's stack if it lies outside the
 * core kernel text (a module's), once per (address, module generation).
 * Only on site creation: the per-call paths never come here.
 */
static long name_frame(__u32 i, void *data)
{
	struct name_ctx *nc = data;
	struct la_symkey sk = {};
	struct la_scratch *sc;
	struct la_key *key;
	__u64 ip;
	long err;

	if (i >= LA_MAX_STACK)
		return 1;
	key = bpf_map_lookup_elem(&keys, &nc->key_idx);
	if (!key)
		return 1;
	ip = key->ips[i];
	if (!ip || (ip >= text_start && ip < text_end))
		return 0;
	sk.addr = ip;
	sk.gen = key->gen;
	if (bpf_map_lookup_elem(&symnames, &sk))
		return 0;
	sc = bpf_map_lookup_elem(&scratch, &zero_key);
	if (!sc)
		return 1;
	if (bpf_snprintf(sc->sym, sizeof(sc->sym), "%pS", &ip, sizeof(ip)) < 0)
		return 0;
	err = bpf_map_update_elem(&symnames, &sk, sc->sym, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: named meanwhile on another CPU */)
		count(LA_CNT_SYM_DROPS);
	return 0;
}

/* Everything else: the whole stack is the key (map "sites"), built in the
 * program's entry of map "keys". obj is not NULL (both paths are entered
 * only with an object, see fentry_entry). */
static __noinline int audit(void *ctx, __u32 slot, void *obj, __u32 flags,
			    __u32 races)
{
	struct la_config *cfg = settings_get();
	struct la_caller *ce = NULL;
	struct la_site *site;
	struct name_ctx nc;
	struct la_key *key;
	__u64 owner, now, task = 0;
	__u32 new_site = 0, mode, state;
	bool track;
	long n;

	mode = cfg ? cfg->event_mode : LA_EVENTS_NONE;
	track = cfg && races_on(cfg, slot, races) &&
		hook_lock(slot) == LA_LOCK_DEV_MUTEX;
	state = lock_facts(slot, hook_lock(slot), hook_path(slot).lock, obj,
			   &flags, &owner, &task);
	if (state >= LA_NR_STATES) {
		count(LA_CNT_PATH_ERRS); /* not judged: never "unlocked" */
		return 0;
	}
	count(LA_CNT_CALLS + slot * LA_NR_STATES + state);
	/* an entered caller seeing a new device: remember the device there */
	if (callers_apply(cfg, slot, races) && state != LA_HELD_OTHER) {
		__u64 caller = immediate_caller(ctx, flags & LA_F_KPROBE);

		if (caller)
			ce = find_caller(caller,
					 caller_tag(slot, state, flags));
	}
	nc.key_idx = flags & LA_F_KPROBE ? nr_slots : slot;
	key = bpf_map_lookup_elem(&keys, &nc.key_idx);
	if (!key) {
		count(LA_CNT_SITE_DROPS); /* not reached: sized to the slots */
		return 0;
	}
	if (!task)
		task = bpf_get_current_task();
	now = bpf_ktime_get_boot_ns();
	__builtin_memset(key, 0, sizeof(*key));
	key->hook = slot;
	key->state = state;
	key->flags = flags;
	key->gen = module_generation();
#ifdef __TARGET_ARCH_arm64
	if (flags & LA_F_KPROBE) {
		/*
		 * At a kprobe on function entry the immediate caller is only
		 * in the link register: the frame walk starts one level up.
		 * Keep the probed function first, then the caller.
		 */
		n = bpf_get_stack(ctx, &key->ips[1],
				  sizeof(key->ips) - sizeof(key->ips[0]), 0);
		if (n > 0) {
			key->ips[0] = key->ips[1];
			key->ips[1] = PT_REGS_RET((struct pt_regs *)ctx);
			key->flags |= LA_F_LR_FRAME;
			n += sizeof(key->ips[0]);
		}
	} else
#endif
		n = bpf_get_stack(ctx, key->ips, sizeof(key->ips), 0);
	if (n < 0) {
		count(LA_CNT_STACK_ERRS);
		n = 0;
	}
	key->nr_ips = n / sizeof(key->ips[0]);

	site = bpf_map_lookup_elem(&sites, key);
	if (!site) {
		if (bpf_map_update_elem(&sites, key, &zero_site, BPF_NOEXIST) ==
		    0) {
			new_site = LA_F_NEW_SITE;
			if (text_end)
				bpf_loop(key->nr_ips, name_frame, &nc, 0);
		}
		site = bpf_map_lookup_elem(&sites, key);
		if (!site) {
			/* map full, or busy on this CPU: counted, never merged
			 */
			count(LA_CNT_SITE_DROPS);
			if (mode != LA_EVENTS_NONE)
				emit(key, NULL, obj, now, 0);
			return 0;
		}
	}
	if (track)
		track_enter(slot, obj, key, task, now);
	account(site, slot, state, owner, obj, now);
	/* a device new to an entered caller: its later calls count there */
	if (ce && hook_lock(slot) == LA_LOCK_DEV_MUTEX)
		caller_add_dev(ce, obj);
	if (mode == LA_EVENTS_ALL || (mode == LA_EVENTS_NEW_SITES && new_site))
		emit(key, site, obj, now, new_site);
	return 0;
}

/*
 * The slot's argument, loaded from ctx at a constant offset: fentry's ctx
 * holds the arguments, so the verifier types it from the traced function's
 * BTF (bpf_get_func_arg would give an untyped number); a kprobe's ctx is
 * the saved registers, read without a probe read. One asm load per case
 * keeps the compiler from folding the cases into a computed ctx offset,
 * which the verifier refuses; hook_arg is frozen read-only data, so the
 * verifier keeps only the case taken.
 */
#define LA_CTX_LOAD(ctx, off)                                                  \
	({                                                                     \
		__u64 __v;                                                     \
		asm volatile("%0 = *(u64 *)(%1 + %2)"                          \
			     : "=r"(__v)                                       \
			     : "r"(ctx), "i"(off));                            \
		(void *)__v;                                                   \
	})

static __always_inline void *fentry_arg(void *ctx, __u32 slot, __u32 kind)
{
	/* a rule's global lock: no argument read (the function may have
	 * none) */
	if (kind == LA_LOCK_PATH && hook_path(slot).base == LA_BASE_GLOBAL)
		return (void *)hook_path(slot).addr;
	switch (hook_arg(slot)) {
	case 0:
		return LA_CTX_LOAD(ctx, 0);
	case 1:
		return LA_CTX_LOAD(ctx, 8);
	case 2:
		return LA_CTX_LOAD(ctx, 16);
	case 3:
		return LA_CTX_LOAD(ctx, 24);
	case 4:
		return LA_CTX_LOAD(ctx, 32);
	default:
		return LA_CTX_LOAD(ctx, 40);
	}
}

/* where the calling convention leaves argument n in struct pt_regs */
#if defined(__TARGET_ARCH_x86)
#define LA_PARM_OFF(n)                                                         \
	((n) == 0   ? __builtin_offsetof(struct pt_regs, di)                   \
	 : (n) == 1 ? __builtin_offsetof(struct pt_regs, si)                   \
	 : (n) == 2 ? __builtin_offsetof(struct pt_regs, dx)                   \
	 : (n) == 3 ? __builtin_offsetof(struct pt_regs, cx)                   \
	 : (n) == 4 ? __builtin_offsetof(struct pt_regs, r8)                   \
		    : __builtin_offsetof(struct pt_regs, r9))
#elif defined(__TARGET_ARCH_arm64)
#define LA_PARM_OFF(n) (__builtin_offsetof(struct pt_regs, regs) + (n)*8)
#endif

static __always_inline void *kprobe_arg(struct pt_regs *ctx, __u32 slot)
{
	if (hook_lock(slot) == LA_LOCK_PATH &&
	    hook_path(slot).base == LA_BASE_GLOBAL)
		return (void *)hook_path(slot).addr;
	switch (hook_arg(slot)) {
	case 0:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(0));
	case 1:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(1));
	case 2:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(2));
	case 3:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(3));
	case 4:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(4));
	default:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(5));
	}
}

/* A NULL object: no device to audit (device_lock rules), or a rule's path
 * that starts at NULL: counted, not judged */
static __always_inline int no_object(__u32 kind)
{
	if (kind == LA_LOCK_PATH)
		count(LA_CNT_PATH_ERRS);
	return 0;
}

/*
 * The rule slot of an fentry program, and whether its exit is hooked
 * (LA_SLOT_RACES): the low bits of a 64-bit immediate that user space
 * patches in each clone it loads (hooks.c: LA_SLOT_MARK | slot [|
 * LA_SLOT_RACES]), so that the verifier knows them as constants and keeps
 * only the code of that rule's argument and path. The object's own
 * program, a template (loaded once, to be cloned), has LA_SLOT_TEMPLATE:
 * it watches nothing.
 */
static __always_inline __u32 clone_mark(void)
{
	__u64 v;

	asm volatile("%0 = %1 ll"
		     : "=r"(v)
		     : "i"(LA_SLOT_MARK | LA_SLOT_TEMPLATE));
	return v & LA_SLOT_MARK_MASK;
}

/*
 * An fentry template per lock kind (and a rule's lock type): kind and
 * rlock are constants here, so the compiler keeps only that kind's code;
 * user space clones the template of each rule's kind (hooks.c).
 */
static __always_inline int fentry_entry(void *ctx, __u32 kind, __u32 rlock)
{
	__u32 mark = clone_mark(), slot = mark & LA_SLOT_MASK;
	__u32 races = !!(mark & LA_SLOT_RACES);
	void *obj;

	if (slot >= LA_MAX_HOOKS)
		return 0; /* the template */
	obj = fentry_arg(ctx, slot, kind);
	if (!obj)
		return no_object(kind);
	if (audit_fast(ctx, slot, kind, rlock, races, obj, 0))
		return 0;
	return audit(ctx, slot, obj, 0, races);
}

/* device_lock (LA_LOCK_DEV_MUTEX) */
SEC("fentry.la_tmpl_dev")
int la_fentry_dev(void *ctx)
{
	return fentry_entry(ctx, LA_LOCK_DEV_MUTEX, LA_RLOCK_MUTEX);
}

/* a rule's mutex (LA_LOCK_PATH, LA_RLOCK_MUTEX) */
SEC("fentry.la_tmpl_mutex")
int la_fentry_mutex(void *ctx)
{
	return fentry_entry(ctx, LA_LOCK_PATH, LA_RLOCK_MUTEX);
}

/* a rule's rwsem (LA_LOCK_PATH, LA_RLOCK_RWSEM) */
SEC("fentry.la_tmpl_rwsem")
int la_fentry_rwsem(void *ctx)
{
	return fentry_entry(ctx, LA_LOCK_PATH, LA_RLOCK_RWSEM);
}

/* One program for every rule a kprobe watches: the slot is the cookie it
 * was attached with (so the verifier keeps every rule kind's code). */
SEC("kprobe")
int la_kprobe(struct pt_regs *ctx)
{
	__u64 slot = bpf_get_attach_cookie(ctx);
	void *obj;

	if (slot >= LA_MAX_HOOKS)
		return 0;
	obj = kprobe_arg(ctx, slot);
	if (!obj)
		return no_object(hook_lock(slot));
	if (audit_fast(ctx, slot, hook_lock(slot), hook_path(slot).lock,
		       LA_RACES_CFG, obj, LA_F_KPROBE))
		return 0;
	return audit(ctx, slot, obj, LA_F_KPROBE, LA_RACES_CFG);
}

/* --races: the exits (no slot: the task's own record says what it entered);
 * fexit cloned per rule as fentry, the kretprobe attached per rule */
SEC("fexit.la_tmpl")
int la_fexit(void *ctx)
{
	return track_exit();
}

SEC("kretprobe")
int la_kretprobe(struct pt_regs *ctx)
{
	return track_exit();
}

/* ---- module text ranges over time (modules.bpf.h) -------------------- */

SEC("raw_tp/module_load")
int BPF_PROG(la_module_load, struct module *mod)
{
	return module_loaded(mod);
}

SEC("raw_tp/module_free")
int BPF_PROG(la_module_free, struct module *mod)
{
	return module_freed(mod);
}
