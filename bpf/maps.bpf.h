/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.bpf.h - the BPF object's state, declared in one place: the read-only
 * settings user space fills before load, every map (names and order are
 * what user space, the skeleton and pinned state know), their BPF-only
 * value types and zero values, and the few ways the programs reach them.
 * Included once, by lockaudit.bpf.c.
 */
#ifndef LA_MAPS_BPF_H
#define LA_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lockaudit.h"

/* Filled by user space before load; frozen, so the verifier sees constants
 * (for a slot it knows: an fentry clone's). One struct per slot: a program
 * computes its slot's address once, then reads each field at a constant
 * offset (struct la_rule_slot). The last entry is the template's slot
 * (LA_SLOT_TEMPLATE), whose kind watches nothing. */
const volatile struct la_rule_slot hook_slot[LA_MAX_HOOKS + 1];
#define hook_arg(s)  (hook_slot[s].arg)
#define hook_lock(s) (hook_slot[s].lock)
#define hook_path(s) (hook_slot[s].path)
/* &iommu_probe_device_lock (6.7+, from kallsyms), 0 if the kernel has none */
const volatile __u64 probe_lock_addr;
/* the kernel has the bpf_rdonly_cast kfunc (6.2+): the programs read memory
 * they have no typed pointer to with plain fault-safe loads; without it (an
 * unresolved weak kfunc, in branches the verifier drops) probe reads */
const volatile __u32 have_cast;
/* the core kernel's text (_stext.._etext, from kallsyms): frames outside it
 * are named at site creation (map "symnames"); 0: name none */
const volatile __u64 text_start, text_end;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_SITES);
	__type(key, struct la_key);
	__type(value, struct la_site);
} sites SEC(".maps");

/*
 * The full path's key (audit), built here, not on the stack: its 280 bytes
 * were most of audit's frame, which the entry program's (with the fast path
 * inlined) and name_frame's are added to under the verifier's 512 bytes.
 * Per CPU and per program, so that no two audits share an entry: an fentry
 * clone uses its slot's (the trampoline never nests a program in itself on
 * a CPU, even preempted), the kprobe program the one after the last slot
 * (kprobe programs never nest on a CPU, and are not preempted). User space
 * sizes it to the slots it fills (nr_slots + 1).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LA_MAX_HOOKS + 1);
	__type(key, __u32);
	__type(value, struct la_key);
} keys SEC(".maps");
/* slots filled (hook_slot): the kprobe program's entry in map "keys" */
const volatile __u32 nr_slots = LA_MAX_HOOKS;

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
	__uint(max_entries, LA_EVENTS_SIZE);
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
	__uint(max_entries, LA_MAX_INFLIGHT);
	__type(key, __u64); /* struct device * */
	__type(value, struct la_inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LA_MAX_INFLIGHT);
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

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* atomic: on PREEMPT_RT two tasks may share a CPU's slot */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline struct la_config *settings_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&settings, &zero);
}

/*
 * Lookup-or-init, as libbpf-tools' bpf_map_lookup_or_try_init: the value
 * under key in map, inserted first if missing (BPF_NOEXIST: when another
 * CPU inserts it first, its value is the one found), looked up again
 * whatever the insert returned; NULL: no entry (map full, or busy on this
 * CPU), the caller counts a drop. The initial value is init, or (init
 * NULL) what fill(arg) builds on a miss only: a value too big for the
 * stack, built in per-CPU scratch. Always inlined: a NULL fill is no code.
 *
 * Map "sites" (audit) writes the sequence out: it names a new site's frames
 * between the insert and the second lookup, and the compiler lays audit()
 * out anew when its drop test follows a returned pointer instead of the
 * second lookup (the programs' stack is at the verifier's limit: their code
 * is kept as it was).
 */
typedef const void *(*la_map_fill)(void *arg);

static __always_inline void *map_lookup_or_try_init(void *map, const void *key,
						    const void *init,
						    la_map_fill fill, void *arg)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	if (fill)
		init = fill(arg);
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif /* LA_MAPS_BPF_H */
