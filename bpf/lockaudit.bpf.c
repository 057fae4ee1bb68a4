// SPDX-License-Identifier: GPL-2.0
/*
 * lockaudit.bpf.c - is the watched lock held by the caller when a watched
 * function runs?
 *
 * One program body per attach type (fentry, kprobe), instantiated over
 * LA_MAX_HOOKS slots by macro. User space binds each slot to a function of
 * the watch list (bpf_program__set_attach_target / attach_kprobe) and fills
 * the read-only tables below before load. Everything a program records is
 * exact: the aggregation key holds the whole stack, counts are atomic, and
 * whatever does not fit is counted as dropped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"

char LICENSE[] SEC("license") = "GPL";

/* Filled by user space before load; frozen, so the verifier sees constants. */
const volatile __u32 hook_arg[LA_MAX_HOOKS];  /* argument holding the object */
const volatile __u32 hook_lock[LA_MAX_HOOKS]; /* enum la_lock_kind */
/* &iommu_probe_device_lock (6.7+, from kallsyms), 0 if the kernel has none */
const volatile __u64 probe_lock_addr;
/* the kernel has the bpf_rdonly_cast kfunc (6.2+): the programs read memory
 * they have no typed pointer to with plain fault-safe loads; without it (an
 * unresolved weak kfunc, in branches the verifier drops) probe reads */
const volatile __u32 have_cast;
/* the core kernel's text (_stext.._etext, from kallsyms): frames outside it
 * are named at site creation (map "symnames"); 0: name none */
const volatile __u64 text_start, text_end;

extern void *bpf_rdonly_cast(const void *obj__ign,
			     __u32 btf_id__k) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_SITES);
	__type(key, struct la_key);
	__type(value, struct la_site);
} sites SEC(".maps");

/* never written: the initial value of a new site (too big for the stack) */
struct la_site zero_site = {};


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LA_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct la_config);
} settings SEC(".maps");

/* entered by user space (through mmap), counted here: see struct la_caller */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LA_MAX_CALLERS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct la_caller);
} callers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_MODS);
	__type(key, struct la_mod_key);
	__type(value, struct la_mod);
} mods SEC(".maps");

/* ---- concurrency: which task is inside a watched function, per device */
struct la_inflight {
	__u64 task;
	__u32 pid;
	__u32 depth; /* nested watched calls of that task for this device */
	__u32 hook;
	__u32 nr_ips;
	char comm[LA_COMM_LEN];
	__u64 ips[LA_MAX_STACK];
};

struct la_task_devs {
	__u64 dev[LA_MAX_NEST];
	__u32 depth;
	__u32 pad;
};
/* a zero value from .bss, not the stack: audit's frame is near the limit */
static struct la_task_devs zero_task_devs;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct device * */
	__type(value, struct la_inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct la_task_devs);
} task_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_RACES);
	__type(key, struct la_race_key);
	__type(value, struct la_race);
} races SEC(".maps");

/* too big for the BPF stack: per-CPU scratch */
struct la_scratch {
	struct la_race_key rkey;
	struct la_inflight in;
	struct la_race race;
	char sym[LA_SYMNAME_LEN]; /* name_frame */
};

static const __u32 zero_key;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_SYMNAMES);
	__type(key, struct la_symkey);
	__type(value, char[LA_SYMNAME_LEN]);
} symnames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct la_scratch);
} scratch SEC(".maps");

/* bumped at every module load and unload: an event's symbols can only be
 * resolved by a kallsyms read that saw the same generation */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} modgen SEC(".maps");

static __always_inline __u64 module_generation(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&modgen, &zero);

	return g ? *g : 0;
}

static __always_inline void module_changed(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&modgen, &zero);

	if (g)
		__sync_fetch_and_add(g, 1);
}

/* text base of a loaded module -> its load time (key of its "mods" entry) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_MODS);
	__type(key, __u64);
	__type(value, __u64);
} mods_live SEC(".maps");

/* written by user space only: lets a later process read pinned state */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct la_meta);
} meta SEC(".maps");

/* struct module before 6.4: one core layout, text first */
struct module_layout___old {
	void *base;
	unsigned int size;
	unsigned int text_size;
} __attribute__((preserve_access_index));

struct module___old {
	struct module_layout___old core_layout;
	struct module_layout___old init_layout;
} __attribute__((preserve_access_index));

/* struct mutex on PREEMPT_RT: built on rt_mutex_base, owner has one flag bit */
struct mutex___rt {
	struct rt_mutex_base rtmutex;
} __attribute__((preserve_access_index));

/* struct mutex otherwise: atomic owner word with three flag bits */
struct mutex___plain {
	atomic_long_t owner;
} __attribute__((preserve_access_index));

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* atomic: on PREEMPT_RT two tasks may share a CPU's slot */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u64 mutex_owner(void *m)
{
	if (bpf_core_field_exists(struct mutex___rt, rtmutex)) {
		struct mutex___rt *rm = m;

		return (__u64)BPF_CORE_READ(rm, rtmutex.owner) & ~1ULL;
	}
	if (bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *pm = m;

		return (__u64)BPF_CORE_READ(pm, owner.counter) & ~7ULL;
	}
	return 0;
}

/* The task owning the lock that this hook watches, 0 if unlocked. */
static __always_inline __u64 lock_owner(__u32 slot, void *obj)
{
	switch (hook_lock[slot]) {
	case LA_LOCK_DEV_MUTEX: {
		struct device *dev = obj;

		return mutex_owner(&dev->mutex);
	}
	default:
		return 0;
	}
}

/*
 * The same two facts read with plain (fault-safe) loads instead of
 * bpf_probe_read_kernel calls, from a typed pointer: fentry's argument comes
 * typed from the traced function's BTF (struct device *); a kprobe's is
 * cast with bpf_rdonly_cast (6.2+). The PREEMPT_RT owner is a task pointer
 * with a flag bit, which the verifier will not let a program mask: it is
 * probe-read.
 */
static __always_inline struct device *dev_typed(void *obj, bool kprobe)
{
	if (!kprobe)
		return obj;
	return bpf_rdonly_cast(obj, bpf_core_type_id_kernel(struct device));
}

static __always_inline __u64 dev_mutex_owner_direct(struct device *dev)
{
	if (bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *pm = (void *)&dev->mutex;

		return (__u64)pm->owner.counter & ~7ULL;
	}
	return mutex_owner(&dev->mutex);
}

static __always_inline __u32 dev_registered_direct(struct device *dev)
{
	struct kobject *kobj = &dev->kobj;

	return BPF_CORE_READ_BITFIELD(kobj, state_in_sysfs);
}

/* The owner of iommu_probe_device_lock (a global the programs have no typed
 * pointer to): a cast and a plain load where the kernel allows (6.2+). */
static __always_inline __u64 probe_lock_owner(void)
{
	if (have_cast && bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *m =
			bpf_rdonly_cast((void *)probe_lock_addr,
					bpf_core_type_id_kernel(struct mutex));

		return (__u64)m->owner.counter & ~7ULL;
	}
	return mutex_owner((void *)probe_lock_addr);
}

static __always_inline __u32 dev_registered(struct device *dev)
{
	struct kobject *kobj = &dev->kobj;

	return BPF_CORE_READ_BITFIELD_PROBED(kobj, state_in_sysfs);
}

static __always_inline void read_dev(struct la_dev *d, struct device *dev)
{
	const char *name = BPF_CORE_READ(dev, kobj.name);

	if (!name)
		name = BPF_CORE_READ(dev, init_name);
	d->ptr = (__u64)dev;
	if (!name ||
	    bpf_probe_read_kernel_str(d->name, sizeof(d->name), name) < 0)
		d->name[0] = 0;
	name = BPF_CORE_READ(dev, bus, name);
	if (!name ||
	    bpf_probe_read_kernel_str(d->bus, sizeof(d->bus), name) < 0)
		d->bus[0] = 0;
	name = BPF_CORE_READ(dev, driver, name);
	if (!name ||
	    bpf_probe_read_kernel_str(d->driver, sizeof(d->driver), name) < 0)
		d->driver[0] = 0;
	d->registered = dev_registered(dev);
}

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
	read_dev(&e->dev, dev);
	__builtin_memcpy(e->ips, key->ips, sizeof(e->ips));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct la_config *settings_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&settings, &zero);
}

/*
 * The return address into the immediate caller, without a stack walk; 0 if
 * it cannot be had cheaply (then the call takes the full path).
 *
 * fentry (x86): the trampoline was called from the traced function's first
 * instruction, before that function pushed anything, and pushed rbp itself;
 * the program's ctx (the saved arguments) sits right below that frame, with
 * one more slot for the return value when an exit program is attached:
 *   ctx + nr_args * 8 [+ 8]: saved rbp, return into the traced function,
 *   return into its caller.
 * The middle word must be the traced function's address plus the patched
 * call (5 bytes, 9 after an endbr64): anything else (another trampoline
 * layout) and the caller is not taken from there.
 * kprobe at function entry: the return address is at regs->sp (x86), in the
 * link register (arm64). fentry on arm64: not derived (full path).
 */
static __always_inline __u64 immediate_caller(void *ctx, bool kprobe)
{
#if defined(__TARGET_ARCH_x86)
	if (kprobe) {
		void *sp = (void *)PT_REGS_SP((struct pt_regs *)ctx);
		__u64 ra = 0;

		if (have_cast) {
			/* one word, typed as a struct pt_regs' first (r15) */
			struct pt_regs *f = bpf_rdonly_cast(
				sp, bpf_core_type_id_kernel(struct pt_regs));

			return f->r15;
		}
		if (bpf_probe_read_kernel(&ra, sizeof(ra), sp))
			return 0;
		return ra;
	} else {
		__u64 ip = bpf_get_func_ip(ctx), nr = bpf_get_func_arg_cnt(ctx);
		__u64 w[4];

		if (nr > 6)
			return 0;
		if (have_cast) {
			/* four words typed as the first four of a struct
			 * pt_regs (r15, r14, r13, r12: plain u64s), read only
			 * as far as needed */
			struct pt_regs *f = bpf_rdonly_cast(
				(char *)ctx + nr * 8,
				bpf_core_type_id_kernel(struct pt_regs));

			if (f->r14 - ip == 5 || f->r14 - ip == 9)
				return f->r13;
			if (f->r13 - ip == 5 || f->r13 - ip == 9)
				return f->r12;
			return 0;
		}
		if (bpf_probe_read_kernel(w, sizeof(w), (char *)ctx + nr * 8))
			return 0;
		if (w[1] - ip == 5 || w[1] - ip == 9)
			return w[2];
		if (w[2] - ip == 5 || w[2] - ip == 9)
			return w[3];
		return 0;
	}
#elif defined(__TARGET_ARCH_arm64)
	if (kprobe)
		return PT_REGS_RET((struct pt_regs *)ctx);
	return 0;
#else
	return 0;
#endif
}

/* The entry for this caller and tag, if user space entered one. */
static __always_inline struct la_caller *find_caller(__u64 caller, __u64 tag)
{
	__u32 idx = la_caller_slot(caller, tag);
	struct la_caller *e;
	__u32 i, k;

#pragma unroll
	for (i = 0; i < LA_CALLER_PROBES; i++) {
		k = (idx + i) & (LA_MAX_CALLERS - 1);
		e = bpf_map_lookup_elem(&callers, &k);
		if (!e || !e->caller)
			return NULL; /* entries never leave: a free slot ends */
		if (e->caller == caller && e->tag == tag)
			return e;
	}
	return NULL;
}

/* Seen through this caller on the full path already (or no room left to
 * remember it: as a site keeps only LA_MAX_EXAMPLES devices). */
static __always_inline bool caller_knows(struct la_caller *e, void *obj)
{
	__u32 i;

#pragma unroll
	for (i = 0; i < LA_MAX_EXAMPLES; i++) {
		__u64 d = e->devs[i];

		if (d == (__u64)obj)
			return true;
		if (!d)
			return false;
	}
	return true;
}

static __always_inline void caller_add_dev(struct la_caller *e, void *obj)
{
	__u32 i;

	for (i = 0; i < LA_MAX_EXAMPLES; i++) {
		__u64 d = e->devs[i];

		if (d == (__u64)obj)
			return;
		if (!d && __sync_val_compare_and_swap(&e->devs[i], 0,
						      (__u64)obj) == 0)
			return;
	}
}

static __always_inline void record_race(struct la_inflight *in, __u32 slot,
					struct la_key *key, struct device *dev,
					__u64 now)
{
	__u32 zero = 0;
	struct la_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);
	struct la_race *r;

	if (!sc)
		return;
	__builtin_memset(&sc->rkey, 0, sizeof(sc->rkey));
	sc->rkey.hook[0] = in->hook;
	sc->rkey.hook[1] = slot;
	sc->rkey.nr_ips[0] = in->nr_ips;
	sc->rkey.nr_ips[1] = key->nr_ips;
	sc->rkey.gen = key->gen;
	__builtin_memcpy(sc->rkey.ips[0], in->ips, sizeof(in->ips));
	__builtin_memcpy(sc->rkey.ips[1], key->ips, sizeof(key->ips));
	r = bpf_map_lookup_elem(&races, &sc->rkey);
	if (!r) {
		__builtin_memset(&sc->race, 0, sizeof(sc->race));
		sc->race.first_ns = now;
		bpf_map_update_elem(&races, &sc->rkey, &sc->race, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&races, &sc->rkey);
		if (!r) {
			count(LA_CNT_RACE_DROPS);
			return;
		}
	}
	__sync_fetch_and_add(&r->count, 1);
	r->last_ns = now;
	r->pid[0] = in->pid;
	r->pid[1] = (__u32)bpf_get_current_pid_tgid();
	__builtin_memcpy(r->comm[0], in->comm, sizeof(in->comm));
	bpf_get_current_comm(r->comm[1], sizeof(r->comm[1]));
	read_dev(&r->dev, dev);
}

/* Entry: note that this task is inside for dev; another task inside for
 * the same device is the race the missing lock permits. */
static __always_inline void
track_enter(__u32 slot, void *obj, struct la_key *key, __u64 task, __u64 now)
{
	__u64 dev = (__u64)obj, id = bpf_get_current_pid_tgid();
	struct la_task_devs *td;
	struct la_inflight *in;
	__u32 zero = 0;

	td = bpf_map_lookup_elem(&task_devs, &id);
	if (!td) {
		bpf_map_update_elem(&task_devs, &id, &zero_task_devs,
				    BPF_NOEXIST);
		td = bpf_map_lookup_elem(&task_devs, &id);
		if (!td) {
			count(LA_CNT_TRACK_DROPS);
			return;
		}
	}
	if (td->depth < LA_MAX_NEST)
		td->dev[td->depth & (LA_MAX_NEST - 1)] = dev;
	td->depth++;

	in = bpf_map_lookup_elem(&inflight, &dev);
	if (in && in->task == task) {
		in->depth++;
		return;
	}
	if (in) {
		record_race(in, slot, key, obj, now);
		return;
	}
	{
		struct la_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

		if (!sc)
			return;
		sc->in.task = task;
		sc->in.pid = (__u32)id;
		sc->in.depth = 1;
		sc->in.hook = slot;
		sc->in.nr_ips = key->nr_ips;
		bpf_get_current_comm(sc->in.comm, sizeof(sc->in.comm));
		__builtin_memcpy(sc->in.ips, key->ips, sizeof(key->ips));
		if (bpf_map_update_elem(&inflight, &dev, &sc->in, BPF_NOEXIST))
			count(LA_CNT_TRACK_DROPS);
	}
}

/* Exit: this task leaves its innermost watched call. */
static __always_inline int track_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid(), task = bpf_get_current_task();
	struct la_task_devs *td = bpf_map_lookup_elem(&task_devs, &id);
	struct la_inflight *in;
	__u64 dev;

	if (!td || !td->depth)
		return 0;
	td->depth--;
	if (td->depth < LA_MAX_NEST) {
		dev = td->dev[td->depth & (LA_MAX_NEST - 1)];
		in = bpf_map_lookup_elem(&inflight, &dev);
		if (in && in->task == task && --in->depth == 0)
			bpf_map_delete_elem(&inflight, &dev);
	}
	if (!td->depth)
		bpf_map_delete_elem(&task_devs, &id);
	return 0;
}

/* Site bookkeeping shared by both paths: count, times, holder, examples. */
static __always_inline void account(struct la_site *site, __u32 state,
				    __u64 owner, void *obj, __u64 now)
{
	struct task_struct *holder;

	if (!site->first_ns)
		site->first_ns = now;
	__sync_fetch_and_add(&site->count, 1);
	site->last_ns = now;
	if (state == LA_HELD_OTHER) {
		holder = (struct task_struct *)owner;
		site->holder_pid = BPF_CORE_READ(holder, pid);
		BPF_CORE_READ_STR_INTO(&site->holder_comm, holder, comm);
	}
	if (site->nr_devs < LA_MAX_EXAMPLES)
		add_example(site, obj);
}

/*
 * The facts that split a site: the lock's state for the calling task, and
 * flags (registered, iommu_probe_device_lock held). *task is read only when
 * an owner is compared (0 otherwise).
 */
static __always_inline __u32 lock_facts(__u32 slot, void *obj, __u32 *flags,
					__u64 *owner, __u64 *task)
{
	__u64 o;

	if (hook_lock[slot] == LA_LOCK_DEV_MUTEX &&
	    (!(*flags & LA_F_KPROBE) || have_cast)) {
		struct device *dev = dev_typed(obj, *flags & LA_F_KPROBE);

		o = dev_mutex_owner_direct(dev);
		if (dev_registered_direct(dev))
			*flags |= LA_F_REGISTERED;
	} else {
		o = lock_owner(slot, obj);
		if (hook_lock[slot] == LA_LOCK_DEV_MUTEX && dev_registered(obj))
			*flags |= LA_F_REGISTERED;
	}
	*owner = o;
	if (probe_lock_addr) {
		__u64 po = probe_lock_owner();

		if (po) {
			*task = bpf_get_current_task();
			if (po == *task)
				*flags |= LA_F_PROBE_LOCK;
		}
	}
	if (!o)
		return LA_UNLOCKED;
	if (!*task)
		*task = bpf_get_current_task();
	return o == *task ? LA_HELD : LA_HELD_OTHER;
}

/* The callers-table tag of a call with these facts (see la_caller). */
static __always_inline __u64 caller_tag(__u32 slot, __u32 state, __u32 flags)
{
#ifdef __TARGET_ARCH_arm64
	if (flags & LA_F_KPROBE)
		flags |= LA_F_LR_FRAME;
#endif
	return LA_CALLER_TAG(module_generation(), slot, state, flags);
}

/* Whether a call may be counted at its caller: not when every call is an
 * event, or tracked for concurrency (both need the whole stack). */
static __always_inline bool callers_apply(struct la_config *cfg, __u32 slot)
{
	return cfg && cfg->event_mode != LA_EVENTS_ALL &&
	       !(cfg->races & (1u << slot));
}

/*
 * The fast path: a call from a caller user space entered, for a device
 * already seen through it, is counted there, and only there (user space
 * adds these counts to the per-hook totals): no stack walk, no clock read,
 * no hash lookup. Kept apart from the full path (a subprogram) so that the
 * compiler keeps its few values in registers.
 */
static __always_inline bool audit_fast(void *ctx, __u32 slot, void *obj,
				       __u32 flags)
{
	__u64 caller, owner, task = 0;
	struct la_caller *ce;
	__u32 state;

	if (!callers_apply(settings_get(), slot))
		return false;
	caller = immediate_caller(ctx, flags & LA_F_KPROBE);
	if (!caller)
		return false;
	state = lock_facts(slot, obj, &flags, &owner, &task);
	if (state == LA_HELD_OTHER) /* a holder to name: the full path */
		return false;
	ce = find_caller(caller, caller_tag(slot, state, flags));
	if (!ce || !caller_knows(ce, obj))
		return false;
	__sync_fetch_and_add(&ce->count, 1);
	return true;
}

/*
 * bpf_loop body: name frame i of a new site's stack if it lies outside the
 * core kernel text (a module's), once per (address, module generation).
 * Only on site creation: the per-call paths never come here.
 */
static long name_frame(__u32 i, void *data)
{
	struct la_key *key = data;
	struct la_symkey sk = {};
	struct la_scratch *sc;
	__u64 ip;
	long err;

	if (i >= LA_MAX_STACK)
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

/* Everything else: the whole stack is the key (map "sites"). obj is not
 * NULL (both paths are entered only with an object, see LA_SLOT). */
static __noinline int audit(void *ctx, __u32 slot, void *obj, __u32 flags)
{
	struct la_config *cfg = settings_get();
	struct la_caller *ce = NULL;
	struct la_site *site;
	struct la_key key;
	__u64 owner, now, task = 0;
	__u32 new_site = 0, mode, state;
	bool track;
	long n;

	mode = cfg ? cfg->event_mode : LA_EVENTS_NONE;
	track = cfg && (cfg->races & (1u << slot)) &&
		hook_lock[slot] == LA_LOCK_DEV_MUTEX;
	state = lock_facts(slot, obj, &flags, &owner, &task);
	count(LA_CNT_CALLS + slot * LA_NR_STATES + state);
	/* an entered caller seeing a new device: remember the device there */
	if (callers_apply(cfg, slot) && state != LA_HELD_OTHER) {
		__u64 caller = immediate_caller(ctx, flags & LA_F_KPROBE);

		if (caller)
			ce = find_caller(caller,
					 caller_tag(slot, state, flags));
	}
	if (!task)
		task = bpf_get_current_task();
	now = bpf_ktime_get_boot_ns();
	__builtin_memset(&key, 0, sizeof(key));
	key.hook = slot;
	key.state = state;
	key.flags = flags;
	key.gen = module_generation();
#ifdef __TARGET_ARCH_arm64
	if (flags & LA_F_KPROBE) {
		/*
		 * At a kprobe on function entry the immediate caller is only
		 * in the link register: the frame walk starts one level up.
		 * Keep the probed function first, then the caller.
		 */
		n = bpf_get_stack(ctx, &key.ips[1],
				  sizeof(key.ips) - sizeof(key.ips[0]), 0);
		if (n > 0) {
			key.ips[0] = key.ips[1];
			key.ips[1] = PT_REGS_RET((struct pt_regs *)ctx);
			key.flags |= LA_F_LR_FRAME;
			n += sizeof(key.ips[0]);
		}
	} else
#endif
		n = bpf_get_stack(ctx, key.ips, sizeof(key.ips), 0);
	if (n < 0) {
		count(LA_CNT_STACK_ERRS);
		n = 0;
	}
	key.nr_ips = n / sizeof(key.ips[0]);

	site = bpf_map_lookup_elem(&sites, &key);
	if (!site) {
		if (bpf_map_update_elem(&sites, &key, &zero_site,
					BPF_NOEXIST) == 0) {
			new_site = LA_F_NEW_SITE;
			if (text_end)
				bpf_loop(key.nr_ips, name_frame, &key, 0);
		}
		site = bpf_map_lookup_elem(&sites, &key);
		if (!site) {
			/* map full, or busy on this CPU: counted, never merged
			 */
			count(LA_CNT_SITE_DROPS);
			if (mode != LA_EVENTS_NONE)
				emit(&key, NULL, obj, now, 0);
			return 0;
		}
	}
	if (track)
		track_enter(slot, obj, &key, task, now);
	account(site, state, owner, obj, now);
	/* a device new to an entered caller: its later calls count there */
	if (ce)
		caller_add_dev(ce, obj);
	if (mode == LA_EVENTS_ALL || (mode == LA_EVENTS_NEW_SITES && new_site))
		emit(&key, site, obj, now, new_site);
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

static __always_inline void *fentry_arg(void *ctx, __u32 slot)
{
	switch (hook_arg[slot]) {
	case 0:
		return LA_CTX_LOAD(ctx, 0);
	case 1:
		return LA_CTX_LOAD(ctx, 8);
	case 2:
		return LA_CTX_LOAD(ctx, 16);
	case 3:
		return LA_CTX_LOAD(ctx, 24);
	default:
		return LA_CTX_LOAD(ctx, 32);
	}
}

/* where the calling convention leaves argument n in struct pt_regs */
#if defined(__TARGET_ARCH_x86)
#define LA_PARM_OFF(n)                                                         \
	((n) == 0   ? __builtin_offsetof(struct pt_regs, di)                   \
	 : (n) == 1 ? __builtin_offsetof(struct pt_regs, si)                   \
	 : (n) == 2 ? __builtin_offsetof(struct pt_regs, dx)                   \
	 : (n) == 3 ? __builtin_offsetof(struct pt_regs, cx)                   \
		    : __builtin_offsetof(struct pt_regs, r8))
#elif defined(__TARGET_ARCH_arm64)
#define LA_PARM_OFF(n) (__builtin_offsetof(struct pt_regs, regs) + (n)*8)
#endif

static __always_inline void *kprobe_arg(struct pt_regs *ctx, __u32 slot)
{
	switch (hook_arg[slot]) {
	case 0:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(0));
	case 1:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(1));
	case 2:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(2));
	case 3:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(3));
	default:
		return LA_CTX_LOAD(ctx, LA_PARM_OFF(4));
	}
}

#define LA_SLOT(n)                                                             \
	SEC("fentry")                                                          \
	int la_fentry_##n(void *ctx)                                           \
	{                                                                      \
		void *obj = fentry_arg(ctx, n);                                \
                                                                               \
		if (!obj || audit_fast(ctx, n, obj, 0))                        \
			return 0;                                              \
		return audit(ctx, n, obj, 0);                                  \
	}                                                                      \
	SEC("kprobe")                                                          \
	int la_kprobe_##n(struct pt_regs *ctx)                                 \
	{                                                                      \
		void *obj = kprobe_arg(ctx, n);                                \
                                                                               \
		if (!obj || audit_fast(ctx, n, obj, LA_F_KPROBE))              \
			return 0;                                              \
		return audit(ctx, n, obj, LA_F_KPROBE);                        \
	}                                                                      \
	SEC("fexit")                                                           \
	int la_fexit_##n(void *ctx)                                            \
	{                                                                      \
		return track_exit();                                           \
	}                                                                      \
	SEC("kretprobe")                                                       \
	int la_kretprobe_##n(struct pt_regs *ctx)                              \
	{                                                                      \
		return track_exit();                                           \
	}

LA_SLOT(0)
LA_SLOT(1)
LA_SLOT(2)
LA_SLOT(3)
LA_SLOT(4)
LA_SLOT(5)
LA_SLOT(6)
LA_SLOT(7)
LA_SLOT(8)
LA_SLOT(9)
LA_SLOT(10)
LA_SLOT(11)
LA_SLOT(12)
LA_SLOT(13)
LA_SLOT(14)
LA_SLOT(15)

/* ---- module text ranges over time ------------------------------------ */

static __always_inline void module_text(struct module *mod, __u64 *base,
					__u64 *size, struct la_mod *m)
{
	if (bpf_core_field_exists(struct module___old, core_layout)) {
		struct module___old *o = (void *)mod;

		*base = (__u64)BPF_CORE_READ(o, core_layout.base);
		*size = BPF_CORE_READ(o, core_layout.text_size);
		if (m) {
			m->init_base =
				(__u64)BPF_CORE_READ(o, init_layout.base);
			m->init_size = BPF_CORE_READ(o, init_layout.text_size);
		}
	} else {
		*base = (__u64)BPF_CORE_READ(mod, mem[MOD_TEXT].base);
		*size = BPF_CORE_READ(mod, mem[MOD_TEXT].size);
		if (m) {
			m->init_base = (__u64)BPF_CORE_READ(
				mod, mem[MOD_INIT_TEXT].base);
			m->init_size =
				BPF_CORE_READ(mod, mem[MOD_INIT_TEXT].size);
		}
	}
}

SEC("raw_tp/module_load")
int BPF_PROG(la_module_load, struct module *mod)
{
	struct la_mod_key key = {.load_ns = bpf_ktime_get_boot_ns()};
	struct la_mod m = {};

	module_changed();
	module_text(mod, &key.base, &m.size, &m);
	BPF_CORE_READ_STR_INTO(&m.name, mod, name);
	if (bpf_map_update_elem(&mods, &key, &m, BPF_ANY) ||
	    bpf_map_update_elem(&mods_live, &key.base, &key.load_ns, BPF_ANY))
		count(LA_CNT_MOD_DROPS);
	return 0;
}

SEC("raw_tp/module_free")
int BPF_PROG(la_module_free, struct module *mod)
{
	struct la_mod_key key = {};
	struct la_mod m = {}, *cur;
	__u64 *load_ns;

	module_changed();
	module_text(mod, &key.base, &m.size, NULL);
	load_ns = bpf_map_lookup_elem(&mods_live, &key.base);
	if (load_ns) {
		key.load_ns = *load_ns;
		bpf_map_delete_elem(&mods_live, &key.base);
	}
	cur = bpf_map_lookup_elem(&mods, &key);
	if (cur) {
		cur->unload_ns = bpf_ktime_get_boot_ns();
		return 0;
	}
	/* loaded before we attached: record it now, load time unknown (0) */
	BPF_CORE_READ_STR_INTO(&m.name, mod, name);
	m.unload_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&mods, &key, &m, BPF_ANY))
		count(LA_CNT_MOD_DROPS);
	return 0;
}
