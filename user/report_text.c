// SPDX-License-Identifier: GPL-2.0
/*
 * report_text.c - the text report: a summary and what was dropped, then one
 * section after another (concurrent configuration, the core racing a lock
 * holder, drivers, core paths, unclassified, coverage); names escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "esc.h"
#include "lockaudit.h"
#include "report_int.h"
#include "rules.h" /* LA_RULES_BUILTIN_DIR */

/* the text writer: where it writes, and the names escaped so far */
struct tw {
	FILE *out;
	struct la_tpool tp;
	bool builtin_rules; /* every hook's rule is a built-in one (or none
			     * is known): sites need not name theirs */
};

/* Are all of r's rules built-in (or unknown: reports before rules)? */
static bool builtin_rules(const struct la_report *r)
{
	static const char builtin[] = LA_RULES_BUILTIN_DIR;

	for (size_t i = 0; i < r->nr_hooks; i++)
		if (r->hooks[i].rule_src[0] &&
		    strncmp(r->hooks[i].rule_src, builtin, sizeof(builtin) - 1))
			return false;
	return true;
}

static const char *esc(struct tw *w, const char *s)
{
	return la_tesc(&w->tp, s);
}

/* kernels named in a line before "+N more" */
#define LA_TEXT_KERNELS 4

/* ", kernels: A (n), B (m), +K more" of the counts k (n of them) */
static void text_kernels(struct tw *w, const struct la_kcount *k, size_t n)
{
	for (size_t i = 0; i < n && i < LA_TEXT_KERNELS; i++)
		fprintf(w->out, "%s%s (%" PRIu32 ")",
			i ? ", " : ", kernels: ", esc(w, k[i].kernel),
			k[i].machines);
	if (n > LA_TEXT_KERNELS)
		fprintf(w->out, ", +%zu more", n - LA_TEXT_KERNELS);
}

/* a fleet's site: "seen on N machines, kernels: A (n), ..." */
static void text_seen(struct tw *w, const struct la_report *view,
		      const struct la_rsite *s)
{
	struct la_kcount k[LA_TEXT_KERNELS];
	size_t n;

	if (!la_fleet_many(view))
		return;
	n = la_fleet_kernels_of(view, s, k, LA_TEXT_KERNELS);
	fprintf(w->out, "      seen on %" PRIu32 " machine%s", s->machines,
		s->machines == 1 ? "" : "s");
	text_kernels(w, k, n);
	fputc('\n', w->out);
}

static void text_site(struct tw *w, const struct la_report *view,
		      const struct la_rsite *s, bool stack)
{
	FILE *out = w->out;
	size_t i;

	fprintf(out, "    %-6s %-24s %-14s %10" PRIu64 " call%s",
		s->severity == LA_SEV_NONE ? "" : la_severity_name(s->severity),
		esc(w, s->entry), la_state_label(s->state), s->count,
		s->count == 1 ? "" : "s");
	if (s->group == LA_GROUP_DRIVER)
		fprintf(out, "  from %s", esc(w, s->caller));
	fputc('\n', out);
	text_seen(w, view, s);
	if (s->rule_src[0] && !w->builtin_rules)
		fprintf(out, "      rule %s: %s (%s)\n", esc(w, s->entry),
			esc(w, s->rule), esc(w, s->rule_src));
	if (s->state == LA_HELD_OTHER && (s->holder_pid || s->holder_comm[0]))
		fprintf(out, "      lock held by pid %d (%s)\n", s->holder_pid,
			s->holder_comm[0] ? esc(w, s->holder_comm) : "?");
	else if (s->state == LA_HELD_OTHER)
		fprintf(out, "      lock held for write by a task not recorded "
			     "yet\n");
	if (s->state == LA_READ_HELD)
		fprintf(out, "      held for read (by the caller or another "
			     "task: readers are not recorded)\n");
	if (s->probe_lock == 1)
		fprintf(out, "      caller held iommu_probe_device_lock\n");
	if (s->by_caller)
		fprintf(out,
			"      %" PRIu64 " of them counted at the caller alone "
			"(their stacks above it not taken)\n",
			s->by_caller);
	for (i = 0; i < s->nr_nested; i++)
		fprintf(out, "%s %s %" PRIu64 "%s",
			i ? "," : "      inside:", esc(w, s->nested[i].entry),
			s->nested[i].count, i + 1 == s->nr_nested ? "\n" : "");
	for (i = 0; i < s->nr_devs; i++)
		fprintf(out, "      device %s (bus %s, driver %s%s)\n",
			esc(w, s->devs[i].name),
			s->devs[i].bus[0] ? esc(w, s->devs[i].bus) : "none",
			s->devs[i].driver[0] ? esc(w, s->devs[i].driver)
					     : "none",
			s->devs[i].registered ? "" : ", not registered");
	if (!stack)
		return;
	for (i = 0; i < s->nr_frames; i++)
		fprintf(out, "        %s\n", esc(w, s->frames[i]));
	if (s->truncated)
		fprintf(out, "        ... (stack truncated)\n");
}

/* A core-path call while another task held the device's lock. */
static bool core_racing(const struct la_rsite *s)
{
	return s->group == LA_GROUP_CORE && s->state == LA_HELD_OTHER;
}

/* names listed in the summary before they are counted instead */
#define LA_TEXT_NAMES 4

/* the run(s): kernels, arch, hostnames (counted when many), duration; and
 * a fleet's runs, machines and kernels */
static void text_runs(struct tw *w, const struct la_report *r,
		      const struct la_report *view)
{
	uint32_t nm = la_fleet_machines(view), nk = la_fleet_kernels(view);
	struct la_kcount k[LA_TEXT_KERNELS];
	size_t n;

	fprintf(w->out, "kernel ");
	if (nk > LA_TEXT_NAMES)
		fprintf(w->out, "%" PRIu32 " kernels", nk);
	else
		fprintf(w->out, "%s", esc(w, r->kernel));
	fprintf(w->out, " (%s), ", esc(w, r->arch));
	if (nm > LA_TEXT_NAMES)
		fprintf(w->out, "%" PRIu32 " machines", nm);
	else
		fprintf(w->out, "%s", esc(w, r->hostname));
	fprintf(w->out, ", %.1f s%s\n", r->duration_s,
		r->sources > 1 ? ", merged reports" : "");
	if (!la_fleet_many(view))
		return;
	n = la_fleet_all_kernels(view, k, LA_TEXT_KERNELS);
	fprintf(w->out,
		"fleet: %zu runs on %" PRIu32 " machine%s (by hostname)",
		r->nr_runs, nm, nm == 1 ? "" : "s");
	text_kernels(w, k, n);
	fputc('\n', w->out);
}

/* the run, the hooks and the calls audited; violations are the outermost
 * calls (nested: the calls folded, by state) */
static void text_summary(struct tw *w, const struct la_report *r,
			 const struct la_report *view,
			 const uint64_t nested[LA_NR_STATES])
{
	uint64_t held = report__calls(r, LA_HELD);
	uint64_t unl = report__calls(r, LA_UNLOCKED);
	uint64_t oth = report__calls(r, LA_HELD_OTHER);
	uint64_t rd = report__calls(r, LA_READ_HELD);
	uint64_t total = held + unl + oth + rd;
	size_t i, nfentry = 0, nkprobe = 0;

	for (i = 0; i < r->nr_hooks; i++) {
		nfentry += !strcmp(r->hooks[i].attach, "fentry");
		nkprobe += !strcmp(r->hooks[i].attach, "kprobe");
	}
	unl = unl > nested[LA_UNLOCKED] ? unl - nested[LA_UNLOCKED] : 0;
	oth = oth > nested[LA_HELD_OTHER] ? oth - nested[LA_HELD_OTHER] : 0;
	if (w->builtin_rules)
		fprintf(w->out, "lockaudit: device_lock at IOMMU "
				"configuration\n");
	else
		fprintf(w->out, "lockaudit: locking rules (%zu)\n",
			r->nr_hooks);
	text_runs(w, r, view);
	fprintf(w->out,
		"%zu hooks (%zu fentry, %zu kprobe), %" PRIu64
		" calls audited: %" PRIu64 " held, %" PRIu64
		" unlocked, %" PRIu64 " held by another task",
		nfentry + nkprobe, nfentry, nkprobe, total, held, unl, oth);
	if (rd)
		fprintf(w->out,
			", %" PRIu64 " held for read (%" PRIu64
			" of them against a write assertion)",
			rd, report__violations(r, LA_READ_HELD));
	if (nested[LA_UNLOCKED] + nested[LA_HELD_OTHER])
		fprintf(w->out, ", %" PRIu64 " nested inside those",
			nested[LA_UNLOCKED] + nested[LA_HELD_OTHER]);
	fputc('\n', w->out);
}

/* every drop, with what it means for the counts; one the kernel does not
 * count is said to be unknown, never 0 */
static void text_drops(struct tw *w, const struct la_report *r)
{
	for (size_t i = 0; i < LA_NR_DROPS; i++)
		if (LA_DROP_C(r, i) == LA_UNKNOWN)
			fprintf(w->out,
				"DROPPED: an unknown number of %s: %s; this "
				"kernel does not count them for some hooks "
				"(COVERAGE says which)\n",
				la_drops[i].what, la_drops[i].meaning);
		else if (LA_DROP_C(r, i))
			fprintf(w->out, "DROPPED: %" PRIu64 " %s: %s\n",
				LA_DROP_C(r, i), la_drops[i].what,
				la_drops[i].meaning);
}

static void text_race(struct tw *w, const struct la_rrace *x)
{
	fprintf(w->out,
		"  %" PRIu64 " time%s on %s (bus %s): %s[%d] "
		"in %s while %s[%d] entered %s\n",
		x->count, x->count == 1 ? "" : "s", esc(w, x->dev.name),
		x->dev.bus[0] ? esc(w, x->dev.bus) : "none",
		esc(w, x->task[0].comm), x->task[0].pid,
		esc(w, x->task[0].entry), esc(w, x->task[1].comm),
		x->task[1].pid, esc(w, x->task[1].entry));
	for (int t = 0; t < 2; t++) {
		fprintf(w->out, "      %s:\n", t ? "entering" : "inside");
		for (size_t j = 0; j < x->task[t].nr_frames; j++)
			fprintf(w->out, "        %s\n",
				esc(w, x->task[t].frames[j]));
	}
}

static void text_races(struct tw *w, const struct la_report *r)
{
	if (!r->nr_races)
		return;
	fprintf(w->out, "\nCONCURRENT configuration of one device (the "
			"race the missing lock permits)\n");
	for (size_t i = 0; i < r->nr_races; i++)
		text_race(w, &r->races[i]);
}

/* the core configuring a device another task holds: high, first */
static void text_core_racing(struct tw *w, const struct la_report *sorted)
{
	struct la_site_group g = {0};
	bool printed = false;

	while (report__next_group(sorted, LA_SEC_CORE, &g)) {
		for (size_t i = g.from; i < g.to; i++) {
			const struct la_rsite *s = &sorted->sites[i];

			if (!core_racing(s))
				continue;
			if (!printed)
				fprintf(w->out,
					"\nIOMMU CORE racing a lock holder "
					"(the core configures a device while "
					"another task holds its lock)\n");
			printed = true;
			fprintf(w->out,
				"  %s: %" PRIu64 " call%s while pid %d (%s) "
				"held the device lock\n",
				esc(w, s->core_path), s->count,
				s->count == 1 ? "" : "s", s->holder_pid,
				s->holder_comm[0] ? esc(w, s->holder_comm)
						  : "?");
			text_site(w, sorted, s, true);
		}
	}
}

/* a driver module's block: its violations, then each site */
static void text_module(struct tw *w, const struct la_report *sorted,
			const struct la_site_group *g)
{
	fprintf(w->out, "  %s: %" PRIu64 " violation%s at %zu site%s\n",
		esc(w, g->name), g->count, g->count == 1 ? "" : "s",
		g->to - g->from, g->to - g->from == 1 ? "" : "s");
	for (size_t i = g->from; i < g->to; i++)
		text_site(w, sorted, &sorted->sites[i], true);
}

/* drivers: one block per module */
static void text_drivers(struct tw *w, const struct la_report *sorted)
{
	struct la_site_group g = {0};
	bool printed = false;

	fprintf(w->out, w->builtin_rules
				? "\nDRIVERS calling without the device lock\n"
				: "\nCALLERS breaking a rule (by module)\n");
	while (report__next_group(sorted, LA_SEC_DRIVERS, &g)) {
		text_module(w, sorted, &g);
		printed = true;
	}
	if (!printed)
		fprintf(w->out, "  none\n");
}

/* a core path's block, without the calls listed as racing: false if they
 * are all its calls (no block) */
static bool text_core_path(struct tw *w, const struct la_report *sorted,
			   const struct la_site_group *g)
{
	uint64_t sum = 0;
	size_t i, n = 0;

	for (i = g->from; i < g->to; i++) {
		if (core_racing(&sorted->sites[i]))
			continue; /* listed above */
		sum += sorted->sites[i].count;
		n++;
	}
	if (!n)
		return false;
	fprintf(w->out, "  %s: %" PRIu64 " call%s\n", esc(w, g->name), sum,
		sum == 1 ? "" : "s");
	for (i = g->from; i < g->to; i++)
		if (!core_racing(&sorted->sites[i]))
			text_site(w, sorted, &sorted->sites[i], false);
	return true;
}

/* core paths: one block per path */
static void text_core(struct tw *w, const struct la_report *sorted)
{
	struct la_site_group g = {0};
	bool printed = false;

	fprintf(w->out, w->builtin_rules
				? "\nIOMMU CORE paths (unlocked by design, not "
				  "driver bugs)\n"
				: "\nCORE paths (unlocked by design: the rule "
				  "files' @core)\n");
	while (report__next_group(sorted, LA_SEC_CORE, &g))
		printed |= text_core_path(w, sorted, &g);
	if (!printed)
		fprintf(w->out, "  none\n");
}

static void text_unclassified(struct tw *w, const struct la_report *sorted)
{
	struct la_site_group g = {0};
	bool printed = false;

	while (report__next_group(sorted, LA_SEC_UNCLASSIFIED, &g)) {
		if (!printed)
			fprintf(w->out, "\nUNCLASSIFIED (stack too short to "
					"tell who called)\n");
		printed = true;
		for (size_t i = g.from; i < g.to; i++)
			text_site(w, sorted, &sorted->sites[i], true);
	}
}

/* a hook's misses, when there are any or the kernel does not count them */
static void text_missed(struct tw *w, const struct la_rhook *h)
{
	static const char *const what[2] = {
		"calls its program did not run for (in no count)",
		"returns its exit program did not see"};
	uint64_t n[2] = {h->missed, h->missed_exit};

	for (int k = 0; k < 2; k++) {
		if (n[k] == LA_UNKNOWN)
			fprintf(w->out,
				"  %-24s %-7s missed: unknown (this kernel "
				"does not count the %s it skips)\n",
				"", "", k ? "exits" : "calls");
		else if (n[k])
			fprintf(w->out, "  %-24s %-7s missed %" PRIu64 " %s\n",
				"", "", n[k], what[k]);
	}
}

/* each hook attached and its calls by state, then those absent */
static void text_coverage(struct tw *w, const struct la_report *r)
{
	size_t i;
	int printed;

	fprintf(w->out, "\nCOVERAGE\n  %-24s %-7s %10s %10s %10s %10s\n",
		"entry point", "attach", "calls", "held", "unlocked", "other");
	for (i = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		if (!strcmp(h->attach, "absent"))
			continue;
		fprintf(w->out,
			"  %-24s %-7s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			esc(w, h->function), esc(w, h->attach),
			h->calls[0] + h->calls[1] + h->calls[2] + h->calls[3],
			h->calls[0], h->calls[1], h->calls[2]);
		if (h->calls[LA_READ_HELD])
			fprintf(w->out,
				"  %-24s %-7s %10s and %" PRIu64
				" held for read by some task\n",
				"", "", "", h->calls[LA_READ_HELD]);
		if (!w->builtin_rules && h->rule_src[0])
			fprintf(w->out, "  %-24s rule %s (%s)\n", "",
				esc(w, h->rule), esc(w, h->rule_src));
		text_missed(w, h);
	}
	for (i = 0, printed = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		if (strcmp(h->attach, "absent"))
			continue;
		if (!printed++)
			fprintf(w->out, "  not watched here:");
		fprintf(w->out, "%s %s", printed > 1 ? "," : "",
			esc(w, h->function));
	}
	if (printed)
		fputc('\n', w->out);
}

int report__write_text(const struct la_report *r, FILE *out)
{
	struct tw w = {.out = out, .builtin_rules = builtin_rules(r)};
	uint64_t nested[LA_NR_STATES];
	struct la_report sorted;

	report__fold(r, &sorted, nested);
	text_summary(&w, r, &sorted, nested);
	text_drops(&w, r);
	text_races(&w, r);
	text_core_racing(&w, &sorted);
	text_drivers(&w, &sorted);
	text_core(&w, &sorted);
	text_unclassified(&w, &sorted);
	text_coverage(&w, r);
	report__unfold(&sorted);
	la_tpool_free(&w.tp);
	/* a full disk shows only once the buffer goes out */
	if (fflush(out))
		return -errno;
	return ferror(out) ? -EIO : 0;
}
