// SPDX-License-Identifier: GPL-2.0
/* attribute.c - from a symbolized stack to the code responsible for a call */
#include <stdio.h>
#include <string.h>

#include "attribute.h"
#include "rules.h"

/*
 * The directives in force: the frames that only pass a call along (@pass)
 * and the paths unlocked by design (@core), from a rule file
 * (docs/rules.md); the built-in rules/iommu.rules unless
 * la_attribute_use() named others.
 */
static const struct la_rule_file *in_force;

void la_attribute_use(const struct la_rule_file *f)
{
	in_force = f;
}

static const struct la_rule_file *directives(void)
{
	static struct la_rule_file *builtin;
	static bool said;

	if (in_force)
		return in_force;
	if (!builtin)
		builtin = rules__builtin();
	/* tested at build time (unit tests): only an allocation failure */
	if ((!builtin || builtin->nr_errors) && !said) {
		said = true;
		fprintf(stderr, "lockaudit: the built-in rules did not parse: "
				"no frame is taken as generic\n");
	}
	return builtin && !builtin->nr_errors ? builtin : NULL;
}

const char *la_frame_func(const char *frame, char *buf, size_t len)
{
	size_t n = strcspn(frame, "+ ");

	if (!strncmp(frame, "0x", 2) || n >= len)
		n = 0;
	memcpy(buf, frame, n);
	buf[n] = 0;
	return buf;
}

const char *la_frame_module(const char *frame, char *buf, size_t len)
{
	const char *lb = strchr(frame, '[');
	size_t n;

	if (!lb) {
		snprintf(buf, len, "%s",
			 strncmp(frame, "0x", 2) ? "vmlinux" : "");
		return buf;
	}
	lb++;
	n = strcspn(lb, "]");
	if (n >= len)
		n = len - 1;
	memcpy(buf, lb, n);
	buf[n] = 0;
	return buf;
}

static bool in_list(const char *func, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(func, list[i]))
			return true;
	return false;
}

bool la_frame_is_bpf(const char *frame)
{
	char mod[64];

	return !strncmp(frame, "bpf_prog_", 9) ||
	       !strncmp(frame, "bpf_trampoline_", 15) ||
	       !strcmp(la_frame_module(frame, mod, sizeof(mod)), "bpf");
}

const char *la_group_name(enum la_group g)
{
	switch (g) {
	case LA_GROUP_DRIVER:
		return "driver";
	case LA_GROUP_CORE:
		return "core";
	default:
		return "unclassified";
	}
}

bool la_violation(int state, int hold)
{
	switch (state) {
	case LA_HELD: /* the caller's own write hold: not a read hold */
		return hold == LA_HOLD_READ;
	case LA_READ_HELD: /* readers, the caller perhaps among them */
		return hold == LA_HOLD_WRITE;
	default: /* unlocked, or another task's */
		return true;
	}
}

enum la_severity la_severity(enum la_group g, int state, bool registered,
			     int probe_lock, int hold, bool device)
{
	if (!la_violation(state, hold))
		return LA_SEV_NONE;
	/* the core configuring a device while another task holds its lock
	 * (a driver binding it): the race fixed upstream in 2025 for the
	 * platform and fsl-mc buses. Unlocked with nobody holding: by design */
	if (g == LA_GROUP_CORE)
		return state == 2 /* LA_HELD_OTHER */ ? LA_SEV_HIGH
						      : LA_SEV_INFO;
	if (!device) /* no device whose registration could matter */
		return LA_SEV_HIGH;
	if (!registered)
		return LA_SEV_LOW;
	return probe_lock == 1 ? LA_SEV_MEDIUM : LA_SEV_HIGH;
}

const char *la_severity_name(enum la_severity s)
{
	static const char *const names[] = {"none", "info", "low", "medium",
					    "high"};

	return s <= LA_SEV_HIGH ? names[s] : "?";
}

/* Whether c's origin is in frames[start..n) with no stop frame nearer. */
static bool core_origin_at(const struct la_core_dir *c, char *const *frames,
			   size_t start, size_t n)
{
	char func[128];

	for (size_t i = start; i < n; i++) {
		if (la_frame_is_bpf(frames[i]))
			continue;
		la_frame_func(frames[i], func, sizeof(func));
		if (c->stop && !strcmp(func, c->stop))
			return false;
		if (!strcmp(func, c->origin))
			return true;
	}
	return false;
}

void la_attribute(const char *entry, char *const *frames, size_t n,
		  struct la_attr *out)
{
	const struct la_rule_file *d = directives();
	char func[128];
	size_t i, k, start;

	out->group = LA_GROUP_UNCLASSIFIED;
	out->core_path = NULL;
	out->culprit = -1;

	/* BPF program and trampoline frames (fentry), unknown addresses */
	for (start = 0; start < n && (la_frame_is_bpf(frames[start]) ||
				      !strncmp(frames[start], "0x", 2));
	     start++)
		;
	out->first = (int)start;
	/* the hooked function itself (kprobe stacks start there) */
	while (start < n &&
	       !strcmp(la_frame_func(frames[start], func, sizeof(func)), entry))
		start++;

	/* core path: an origin with no stop frame nearer the entry; the
	 * earlier directive is the more specific origin */
	for (k = 0; d && k < d->nr_core; k++) {
		if (core_origin_at(&d->core[k], frames, start, n)) {
			out->group = LA_GROUP_CORE;
			out->core_path = d->core[k].name;
			return;
		}
	}

	for (i = start; i < n; i++) {
		if (la_frame_is_bpf(frames[i]))
			continue; /* a nested watched call's trampoline */
		la_frame_func(frames[i], func, sizeof(func));
		if (!func[0])
			break; /* unknown address: cannot tell who called */
		if (d &&
		    in_list(func, (const char *const *)d->pass, d->nr_pass))
			continue;
		out->group = LA_GROUP_DRIVER;
		out->culprit = (int)i;
		return;
	}
}
