/* SPDX-License-Identifier: GPL-2.0 */
/*
 * callers.bpf.h - the caller fast path: a call from an immediate caller that
 * user space entered in map "callers", for a device already seen through
 * it, is counted there without a stack walk. The return address into the
 * immediate caller (per arch and attach type), the direct-mapped table's
 * lookup, and the devices remembered per caller.
 */
#ifndef LA_CALLERS_BPF_H
#define LA_CALLERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"
#include "facts.bpf.h"
#include "modules.bpf.h"

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
			__u64 d;

			/* each word once: every load through f is a
			 * fault-checked one (~9 instructions on x86) */
			d = f->r14 - ip;
			barrier_var(d);
			if (d == 5 || d == 9)
				return f->r13;
			d = f->r13 - ip;
			barrier_var(d);
			if (d == 5 || d == 9)
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

/* The callers-table tag of a call with these facts (see la_caller). */
static __always_inline __u64 caller_tag(__u32 slot, __u32 state, __u32 flags)
{
#ifdef __TARGET_ARCH_arm64
	if (flags & LA_F_KPROBE)
		flags |= LA_F_LR_FRAME;
#endif
	return LA_CALLER_TAG(module_generation(), slot, state, flags);
}

/*
 * Whether the slot's exit is hooked: its calls are tracked for concurrency
 * (--races). races: what an fentry clone's mark says (0 or 1), or
 * LA_RACES_CFG (the kprobe program): the bit in cfg's races.
 */
#define LA_RACES_CFG 2
static __always_inline bool races_on(struct la_config *cfg, __u32 slot,
				     __u32 races)
{
	if (races != LA_RACES_CFG)
		return races;
	return cfg->races[(slot / 64) & (LA_MAX_HOOKS / 64 - 1)] &
	       (1ULL << (slot % 64));
}

/* Whether a call may be counted at its caller: not when every call is an
 * event, or tracked for concurrency (both need the whole stack). */
static __always_inline bool callers_apply(struct la_config *cfg, __u32 slot,
					  __u32 races)
{
	return cfg && cfg->event_mode != LA_EVENTS_ALL &&
	       !races_on(cfg, slot, races);
}

/*
 * The fast path: a call from a caller user space entered, for a device
 * already seen through it, is counted there, and only there (user space
 * adds these counts to the per-hook totals): no stack walk, no clock read,
 * no hash lookup. Inlined in the entry programs: the full path's key is
 * not on audit's stack (map "keys"), so the entry program's frame, audit's
 * and name_frame's (under bpf_loop) stay within the verifier's 512 bytes.
 */
static __always_inline bool audit_fast(void *ctx, __u32 slot, __u32 kind,
				       __u32 rlock, __u32 races, void *obj,
				       __u32 flags)
{
	__u64 caller, owner, task = 0;
	struct la_caller *ce;
	__u32 state;

	if (!callers_apply(settings_get(), slot, races))
		return false;
	caller = immediate_caller(ctx, flags & LA_F_KPROBE);
	if (!caller)
		return false;
	state = lock_facts(slot, kind, rlock, obj, &flags, &owner, &task);
	/* a holder to name, or a lock not reached: the full path */
	if (state == LA_HELD_OTHER || state >= LA_NR_STATES)
		return false;
	ce = find_caller(caller, caller_tag(slot, state, flags));
	if (!ce)
		return false;
	/* a device new to this caller: the full path keeps it as an example
	 * (a rule's lock keeps no device) */
	if (kind == LA_LOCK_DEV_MUTEX && !caller_knows(ce, obj))
		return false;
	__sync_fetch_and_add(&ce->count, 1);
	return true;
}

#endif /* LA_CALLERS_BPF_H */
