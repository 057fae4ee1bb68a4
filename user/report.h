/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the one in-memory report model, its text and JSON writers, and
 * reading JSON reports back (and merging them) for `lockaudit report`.
 * (report.c and report_*.c; JSON values: json.h)
 */
#ifndef LA_REPORT_H
#define LA_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attribute.h"

#define LA_SECONDS_MAX	   1e12 /* seconds read from a report: ~31,700 years */
#define LA_SCHEMA	   "lockaudit.report/2"
#define LA_SCHEMA_V1	   "lockaudit.report/1" /* read: single runs only */
#define LA_REPORT_MAX_DEVS 16 /* example devices kept per site when merging */
/* Reading reports: only regular files up to this size are read. */
#define LA_REPORT_MAX_BYTES (256u << 20)
/*
 * The largest count a report may hold, read or merged: 2^64-2. json-c reads
 * any larger integer as 2^64-1, so that value cannot be told from overflow.
 */
#define LA_COUNT_MAX (UINT64_MAX - 1)
/*
 * A count the kernel does not keep (misses on kernels that do not count
 * them): never a count (> LA_COUNT_MAX), written as null, shown as unknown.
 */
#define LA_UNKNOWN UINT64_MAX

struct la_rdev {
	char *name;
	char *bus;    /* "" if none */
	char *driver; /* "" if no driver is bound */
	bool registered;
};

/* Runs lo..hi (indexes into struct la_report's runs), both included. */
struct la_rrange {
	uint32_t lo, hi;
};

/* A watched call made inside a site's call (same task, same device). */
struct la_rnested {
	char *entry; /* the inner entry point */
	uint64_t count;
};

struct la_rsite {
	char *entry; /* the watched function */
	int state;   /* enum la_lock_state */
	uint64_t count;
	uint64_t by_caller; /* of count: counted by the immediate caller alone
			     * (this stack is an example of theirs) */
	double first_s, last_s; /* seconds since boot */
	int holder_pid;		/* LA_HELD_OTHER */
	char *holder_comm;
	size_t nr_devs;
	struct la_rdev devs[LA_REPORT_MAX_DEVS];
	size_t nr_frames;
	char **frames; /* symbolized, innermost first, BPF frames removed */
	bool truncated;
	bool registered; /* the device was registered (in sysfs) */
	int probe_lock;	 /* iommu_probe_device_lock: 1 held, 0 not, -1 none */
	enum la_severity severity;
	enum la_group group;
	/* the rule the site broke or kept (report__site_rule); "" when the
	 * report predates rules */
	char *rule;	 /* its assertion as written */
	char *rule_src;	 /* where: "FILE:LINE" */
	int hold;	 /* enum la_rule_hold */
	bool device;	 /* its lock is a device's: registered, probe_lock and
			  * devices apply */
	char *core_path; /* LA_GROUP_CORE */
	char *module;	 /* LA_GROUP_DRIVER: culprit's module ("vmlinux") */
	char *function;	 /* LA_GROUP_DRIVER: culprit's function */
	char *caller; /* LA_GROUP_DRIVER: culprit frame, "func+0xoff [mod]" */
	/* violations only: the watched calls made inside this site's calls,
	 * by entry point (folded in by the writers, or read back) */
	size_t nr_nested;
	struct la_rnested *nested;
	/* the runs it was seen in (report_fleet.c): sorted, apart, not
	 * touching; none in a live report (its one run) */
	size_t nr_ranges, cap_ranges;
	struct la_rrange *ranges;
	/* the writers' view only (report__fold): machines it was seen on */
	uint32_t machines;
};

/* Two tasks inside watched functions for one device at once. */
struct la_rrace {
	uint64_t count;
	double first_s, last_s;
	struct la_rdev dev; /* the last device seen */
	struct {
		char *entry; /* [0] inside first, [1] entering */
		int pid;
		char *comm;
		size_t nr_frames;
		char **frames;
	} task[2];
};

#define LA_REPORT_STATES 4 /* LA_NR_STATES */

struct la_rhook {
	char *function;
	char *attach; /* "fentry", "kprobe" or "absent" */
	char *reason; /* why not fentry / why absent, "" if none */
	char *rule;   /* the rule's assertion, "" if unknown (as la_rsite) */
	char *rule_src;
	int hold;
	uint64_t calls[LA_REPORT_STATES]; /* by enum la_lock_state */
	/* calls the kernel did not run this hook's programs for (misses.c),
	 * each LA_UNKNOWN where the kernel does not count them; 0 where
	 * there is no program: entry (in no count above), exit (--races:
	 * the return not seen) */
	uint64_t missed, missed_exit;
};

/* One run's identity: a report is refused if one of its runs is merged. */
struct la_run {
	char *hostname, *kernel, *started;
};

struct la_report {
	char *kernel; /* release, or "a, b" when merged */
	char *arch;
	char *hostname;
	char *started; /* ISO 8601 UTC */
	double duration_s;
	unsigned int sources; /* reports merged into this one */
	size_t nr_hooks, cap_hooks;
	struct la_rhook *hooks;
	uint64_t dropped_sites, dropped_events, stack_errors;
	size_t nr_sites, cap_sites;
	struct la_rsite *sites;
	size_t nr_races, cap_races;
	struct la_rrace *races;
	uint64_t dropped_races;
	uint64_t dropped_tracking; /* calls not tracked for concurrency */
	uint64_t dropped_modules;  /* module load/unload records lost */
	uint64_t dropped_names;	   /* module frames the kernel did not name */
	uint64_t dropped_paths;	   /* calls whose rule's lock was unreachable */
	/* the hooks' missed and missed_exit summed (report__sum_missed):
	 * LA_UNKNOWN if an attached hook's is */
	uint64_t dropped_missed, dropped_missed_exit;
	/* the runs merged in (report__merge_file); written as "runs" when
	 * more than one */
	size_t nr_runs, cap_runs;
	struct la_run *runs;
	/* report__merge_file: all site counts, concurrent counts and hook
	 * calls read so far, each kept <= LA_COUNT_MAX, so that no merged sum
	 * (a site's count, a module's, calls audited) can exceed it */
	uint64_t read_counts, read_races, read_calls;
	/* report_index.c's hash indexes (sites, races, hooks): identity -> the
	 * first item with it, over the first indexed[i] items */
	struct la_index *index[4];
	size_t indexed[4];
	/* the writers' view only (report__fold): machines and kernels */
	struct la_fleet *fleet;
};

/* Add a concurrent finding (strings and frames copied), merging it into an
 * identical one (same entry points and stacks). */
struct la_rrace *report__add_race(struct la_report *r,
				  const struct la_rrace *in);

/* Merge the last site added into an identical earlier one, if any. */
void report__merge_last(struct la_report *r);

void report__init(struct la_report *r);
void report__free(struct la_report *r);

/*
 * Add a site; frames and strings are copied. Attribution and severity are
 * computed from the stack and the facts (registered, probe_lock as in
 * struct la_rsite).
 */
struct la_rsite *report__add_site(struct la_report *r, const char *entry,
				  int state, char *const *frames, size_t n,
				  bool truncated, bool registered,
				  int probe_lock);
/* The rule of a site: its assertion, FILE:LINE, hold (enum la_rule_hold)
 * and whether its lock is a device's; the severity follows them. */
void report__site_rule(struct la_rsite *s, const char *rule, const char *src,
		       int hold, bool device);
/* Add an example device to a site (deduplicated by name). */
void report__add_dev(struct la_rsite *s, const char *name, const char *bus,
		     const char *driver, bool registered);
/* Add or find a hook line (by function and rule: src "" for none). */
struct la_rhook *report__hook(struct la_report *r, const char *function);
struct la_rhook *report__hook_rule(struct la_report *r, const char *function,
				   const char *rule, const char *src, int hold);

/* r->dropped_missed and dropped_missed_exit from the hooks' counts. */
void report__sum_missed(struct la_report *r);
/* a + b where either may be LA_UNKNOWN (then so is the sum); false if the
 * sum of two counts exceeds LA_COUNT_MAX (*sum unchanged) */
bool report__add_missed(uint64_t *sum, uint64_t v);

/* Totals over hooks (exact counters). */
uint64_t report__calls(const struct la_report *r, int state);
/* Of those, the calls that broke their hook's rule, by state. */
uint64_t report__violations(const struct la_report *r, int state);

/*
 * Writers. 0 on success, -errno on failure. Both fold nested violations
 * first: a violation site whose stack runs through another violation site's
 * entry point, with that site's exact callers above it, in the same lock
 * state and for a shared device, is a watched call made inside that call
 * (same task, same device). It is listed under the outermost such site
 * ("nested") and is no violation of its own: violation counts (totals,
 * groups, drivers) are outermost calls; hooks[].calls stay exact per entry
 * point. Folding is idempotent and independent of site order, so a report
 * read back or merged folds the same again (across inputs too).
 */
int report__write_text(const struct la_report *r, FILE *out);
/* Streams: one site, race or hook as a json-c object at a time; the bytes
 * are json-c's for the whole tree. 0 or -errno. */
int report__write_json(const struct la_report *r, FILE *out, bool pretty);
/* Atomic: written to a temporary file beside path, then renamed. */
int report__save_json(const struct la_report *r, const char *path, bool pretty);

/*
 * Read a JSON report and merge it into r (which may be empty). Only a
 * regular file (or a symlink to one) of at most LA_REPORT_MAX_BYTES, strict
 * JSON in UTF-8 with nothing after the report; every field read is checked,
 * a field twice in the top-level object or in a group is refused. Read item
 * by item (no json-c tree of the whole file: memory is the file's size plus
 * what is merged into r); on failure r may hold what was merged before it.
 * A report with a run (hostname, kernel, started) already merged into r is
 * refused. On failure returns -errno (EINVAL for a malformed or foreign
 * report, EFBIG too large) and puts a one-line reason into err.
 */
int report__merge_file(struct la_report *r, const char *path, char *err,
		       size_t errlen);

/* Names from the kernel or from files, made safe: an escaped copy for a
 * terminal (control characters, backslash and invalid UTF-8 as \xNN; into
 * buf, truncated). A JSON string of valid UTF-8: la_json_str (json.h). */
const char *report__text_esc(char *buf, size_t len, const char *s);

/* What the kernel could not keep, each with what it means for the counts:
 * the JSON key under totals.dropped, the text, and the field. */
struct la_drop_def {
	const char *key;
	const char *what;
	const char *meaning;
	size_t offset;	 /* of the uint64_t in struct la_report */
	bool unknowable; /* LA_UNKNOWN where the kernel does not count it;
			  * absent from a report read: unknown */
};
#define LA_NR_DROPS 10
extern const struct la_drop_def la_drops[LA_NR_DROPS];
#define LA_DROP(r, i) (*(uint64_t *)((char *)(r) + la_drops[(i)].offset))
#define LA_DROP_C(r, i)                                                        \
	(*(const uint64_t *)((const char *)(r) + la_drops[(i)].offset))

const char *la_state_name(int state);
const char *la_state_label(int state);
/* Sort sites: drivers first, then core, unclassified, held; by count. */
void report__sort(struct la_report *r);

#endif
