// SPDX-License-Identifier: GPL-2.0
/*
 * collect.c - the collector: events from the ring buffer (JSON Lines, the
 * live "new site" lines, callers to enter) and snapshots of the maps and
 * counters into a report
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attribute.h"
#include "callers.h"
#include "collect.h"
#include "collect_int.h"
#include "env.h"
#include "hooks.h"
#include "json.h"
#include "ksyms.h"
#include "misses.h"
#include "report.h"
#include "symfresh.h"

struct la_collector {
	struct la_hooks *h;
	struct la_collect_opts o;
	struct la_symfresh sym; /* kallsyms and module records, kept fresh */
	struct ring_buffer *rb;
	bool events_failed;
	struct la_callers callers; /* the fast path's table (callers.c) */
	struct la_said said;	   /* sites with a "new site" line (--live) */
};

static void write_event(struct la_collector *c, const struct la_event *e,
			const char *entry, char (*frames)[FRAME_LEN], size_t n)
{
	json_object *o = json_object_new_object(), *a;
	unsigned long long now_boot = env__boot_ns();
	double real_s = (double)(env__real_ns() - (now_boot - e->ts_ns)) / 1e9;
	size_t i;

	json_object_object_add(o, "ts_s",
			       json_object_new_double((double)e->ts_ns / 1e9));
	json_object_object_add(o, "time", json_object_new_double(real_s));
	json_object_object_add(o, "entry_point", json_object_new_string(entry));
	json_object_object_add(
		o, "lock_state",
		json_object_new_string(la_state_name((int)e->state)));
	json_object_object_add(
		o, "new_site",
		json_object_new_boolean(e->flags & LA_F_NEW_SITE));
	json_object_object_add(o, "attach",
			       json_object_new_string(e->flags & LA_F_KPROBE
							      ? "kprobe"
							      : "fentry"));
	json_object_object_add(o, "pid", json_object_new_int((int)e->pid));
	json_object_object_add(o, "tgid", json_object_new_int((int)e->tgid));
	json_object_object_add(o, "comm", la_json_str(e->comm));
	json_object_object_add(o, "cpu", json_object_new_int((int)e->cpu));
	json_object_object_add(o, "device",
			       la_json_dev(e->dev.name, e->dev.bus,
					   e->dev.driver, e->dev.registered));
	if (e->state == LA_HELD_OTHER) {
		json_object *hd = json_object_new_object();

		json_object_object_add(hd, "pid",
				       json_object_new_int((int)e->holder_pid));
		json_object_object_add(hd, "comm", la_json_str(e->holder_comm));
		json_object_object_add(o, "holder", hd);
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(frames[i]));
	json_object_object_add(o, "stack", a);
	if (fprintf(c->o.events, "%s\n",
		    json_object_to_json_string_ext(
			    o, JSON_C_TO_STRING_PLAIN |
				       JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 &&
	    !c->events_failed) {
		c->events_failed = true;
		fprintf(stderr, "lockaudit: writing events failed: %s\n",
			strerror(errno));
	}
	json_object_put(o);
}

__u64 collect__site_hash(const char *entry, __u32 state, __u32 flags,
			 char *const *frames, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a, a 0 byte between strings */
	const char *p;
	size_t i;

#define MIX(b) (h = (h ^ (unsigned char)(b)) * 0x100000001b3ULL)
	for (p = entry; *p; p++)
		MIX(*p);
	MIX(0);
	MIX('0' + state);
	for (i = 0; i < sizeof(flags); i++)
		MIX(flags >> (8 * i));
	for (i = 0; i < n; i++) {
		MIX(0);
		for (p = frames[i]; *p; p++)
			MIX(*p);
	}
#undef MIX
	return h | 1;
}

bool collect__said_add(struct la_said *s, __u64 h)
{
	__u32 i = (__u32)(h >> 32) & (LA_SAID_SLOTS - 1);

	h |= 1;
	for (;; i = (i + 1) & (LA_SAID_SLOTS - 1)) {
		if (s->h[i] == h)
			return false;
		if (!s->h[i])
			break;
	}
	/* keep one slot free so that the search above ends */
	if (s->n + 1 < LA_SAID_SLOTS) {
		s->h[i] = h;
		s->n++;
	}
	return true;
}

static void print_new_site(struct la_collector *c, const struct la_event *e,
			   const char *entry, char (*frames)[FRAME_LEN],
			   size_t n)
{
	char *ptrs[LA_MAX_STACK];
	char esc[3][4 * 64];
	struct la_attr a;
	size_t i;

	for (i = 0; i < n; i++)
		ptrs[i] = frames[i];
	/* the same stack again after a module load or unload: said already */
	if (!collect__said_add(&c->said,
			       collect__site_hash(entry, e->state,
						  e->flags & ~LA_F_NEW_SITE,
						  ptrs, n)))
		return;
	la_attribute(entry, ptrs, n, &a);
	fprintf(c->o.live, "new site: %s %s ", entry,
		la_state_label((int)e->state));
	if (a.group == LA_GROUP_DRIVER)
		fprintf(c->o.live, "from %s", frames[a.culprit]);
	else if (a.group == LA_GROUP_CORE)
		fprintf(c->o.live, "from IOMMU core, %s", a.core_path);
	else
		fprintf(c->o.live, "from an unclassified path");
	/* a device name or comm can hold any bytes: escaped on the terminal */
	if (c->h->hook[e->hook].def->lock == LA_LOCK_DEV_MUTEX)
		fprintf(c->o.live, " (device %s, %s[%u]",
			e->dev.name[0]
				? report__text_esc(esc[0], sizeof(esc[0]),
						   e->dev.name)
				: "?",
			report__text_esc(esc[1], sizeof(esc[1]), e->comm),
			e->pid);
	else
		fprintf(c->o.live, " (rule %s, %s[%u]",
			c->h->hook[e->hook].def->src,
			report__text_esc(esc[1], sizeof(esc[1]), e->comm),
			e->pid);
	if (e->state == LA_HELD_OTHER)
		fprintf(c->o.live, ", lock held by %s[%u]",
			report__text_esc(esc[2], sizeof(esc[2]),
					 e->holder_comm),
			e->holder_pid);
	fprintf(c->o.live, ")\n");
	for (i = (size_t)a.first; i < n; i++)
		fprintf(c->o.live, "    %s\n", frames[i]);
	fflush(c->o.live);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct la_collector *c = ctx;
	const struct la_event *e = data;
	char frames[LA_MAX_STACK][FRAME_LEN];
	const char *entry;
	size_t n;

	if (size < sizeof(*e) || e->hook >= c->h->nr)
		return 0;
	entry = c->h->hook[e->hook].def->func;
	n = e->nr_ips < LA_MAX_STACK ? e->nr_ips : LA_MAX_STACK;
	symfresh__symbolize(&c->sym, e->ips, n, e->modgen, e->ts_ns, frames);
	if (c->o.events)
		write_event(c, e, entry, frames, n);
	if (c->o.live && (e->flags & LA_F_NEW_SITE) && e->state != LA_HELD) {
		print_new_site(c, e, entry, frames, n);
	}
	if (e->flags & LA_F_NEW_SITE)
		callers__enter(&c->callers, e, entry, frames, n);
	return 0;
}

/* only the event mode: the races mask belongs to whoever attached */
static int set_event_mode(struct la_collector *c, enum la_event_mode mode)
{
	struct la_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(c->h->maps.settings, &zero, &cfg))
		return -errno;
	cfg.event_mode = mode;
	return bpf_map_update_elem(c->h->maps.settings, &zero, &cfg, BPF_ANY)
		       ? -errno
		       : 0;
}

struct la_collector *collect__new(struct la_hooks *h,
				  const struct la_collect_opts *o,
				  bool *kptr_hidden, char *err, size_t errlen)
{
	struct la_collector *c = calloc(1, sizeof(*c));
	int ret;

	*kptr_hidden = false;
	if (!c) {
		ksyms__free(o->ks);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->h = h;
	c->o = *o;
	c->sym = (struct la_symfresh){.kallsyms = o->kallsyms,
				      .modules = o->modules,
				      .maps = &h->maps};
	if (o->ks) /* one read at start-up, not two */
		ret = symfresh__adopt(&c->sym, o->ks, o->ks_modules_sum);
	else
		ret = symfresh__reload(&c->sym);
	c->o.ks = NULL; /* taken */
	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", o->kallsyms,
			 strerror(-ret));
		free(c);
		/* EPERM from the read itself: every address reads as 0 */
		*kptr_hidden = ret == -EPERM;
		return NULL;
	}
	ret = set_event_mode(c, o->mode);
	if (ret) {
		snprintf(err, errlen, "cannot switch events on: %s",
			 strerror(-ret));
		symfresh__free(&c->sym);
		free(c);
		return NULL;
	}
	callers__map(&c->callers, h->maps.callers);
	if (o->mode != LA_EVENTS_NONE) {
		c->rb = ring_buffer__new(h->maps.events, on_event, c, NULL);
		if (!c->rb) {
			snprintf(err, errlen, "cannot open the ring buffer: %s",
				 strerror(errno));
			collect__free(c);
			return NULL;
		}
	}
	return c;
}

void collect__free(struct la_collector *c)
{
	if (!c)
		return;
	/* pinned state goes on counting: stop filling a ring nobody reads */
	if (c->o.mode != LA_EVENTS_NONE)
		set_event_mode(c, LA_EVENTS_NONE);
	ring_buffer__free(c->rb);
	callers__unmap(&c->callers);
	symfresh__free(&c->sym);
	free(c);
}

int collect__poll(struct la_collector *c, int timeout_ms)
{
	int ret;

	if (!c->rb) {
		struct timespec ts = {timeout_ms / 1000,
				      (timeout_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		callers__stamp(&c->callers, false);
		return 0;
	}
	symfresh__new_round(&c->sym);
	ret = ring_buffer__poll(c->rb, timeout_ms);
	callers__stamp(&c->callers, false);
	if (ret == -EINTR)
		return 0;
	if (c->o.events)
		fflush(c->o.events);
	return ret < 0 ? ret : 0;
}

static int read_counters(struct la_collector *c, __u64 *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	int fd = c->h->maps.counters;
	__u64 *vals;
	__u32 i;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < LA_NR_COUNTERS; i++) {
		sum[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			sum[i] += vals[cpu];
	}
	free(vals);
	return 0;
}

/* a fixed-size kernel string, terminated whatever the kernel left there */
static const char *kstr(const char *src, size_t len, char *buf)
{
	memcpy(buf, src, len);
	buf[len] = 0;
	return buf;
}

static struct la_rsite *
site_to_report(const struct ksyms *ks, const struct la_hook_def *def,
	       bool probe_lock_known, const struct la_key *k,
	       const struct la_site *v, __u64 sym_ns, struct la_report *r)
{
	char frames[LA_MAX_STACK][FRAME_LEN], *ptrs[LA_MAX_STACK];
	char name[LA_NAME_LEN + 1], bus[LA_BUS_LEN + 1], drv[LA_NAME_LEN + 1];
	char comm[LA_COMM_LEN + 1];
	struct la_rsite *s;
	size_t i, n = k->nr_ips < LA_MAX_STACK ? k->nr_ips : LA_MAX_STACK;

	if (k->state >= LA_NR_STATES)
		return NULL;
	for (i = 0; i < n; i++) {
		ksyms__format_gen(ks, k->ips[i], k->gen, sym_ns, frames[i],
				  FRAME_LEN);
		ptrs[i] = frames[i];
	}
	s = report__add_site(r, def->func, (int)k->state, ptrs, n,
			     n == LA_MAX_STACK, k->flags & LA_F_REGISTERED,
			     !probe_lock_known ||
					     def->lock != LA_LOCK_DEV_MUTEX
				     ? -1
			     : (k->flags & LA_F_PROBE_LOCK) ? 1
							    : 0);
	report__site_rule(s, def->rule, def->src, (int)def->path.hold,
			  def->lock == LA_LOCK_DEV_MUTEX);
	s->count = v->count;
	s->first_s = (double)(v->first_ns ? v->first_ns : v->last_ns) / 1e9;
	s->last_s = (double)v->last_ns / 1e9;
	if (k->state == LA_HELD_OTHER) {
		s->holder_pid = (int)v->holder_pid;
		free(s->holder_comm);
		s->holder_comm =
			strdup(kstr(v->holder_comm, LA_COMM_LEN, comm));
		if (!s->holder_comm) {
			fprintf(stderr, "lockaudit: out of memory\n");
			exit(1);
		}
	}
	for (i = 0; i < LA_MAX_EXAMPLES; i++) {
		const struct la_dev *d = &v->devs[i];

		if (!d->ptr)
			continue;
		kstr(d->name, LA_NAME_LEN, name);
		report__add_dev(
			s, name[0] ? name : "?", kstr(d->bus, LA_BUS_LEN, bus),
			kstr(d->driver, LA_NAME_LEN, drv), d->registered);
	}
	return s;
}

void collect__site_to_report(const struct ksyms *ks,
			     const struct la_hook_def *def,
			     bool probe_lock_known, const struct la_key *k,
			     const struct la_site *v, struct la_report *r)
{
	/* sites the kernel keeps apart by module generation are one site
	 * when they name the same frames (the same module's code loaded
	 * again): one bug, counted once */
	if (site_to_report(ks, def, probe_lock_known, k, v, v->last_ns, r))
		report__merge_last(r);
}

void collect__caller_to_report(const struct ksyms *ks,
			       const struct la_hook_def *def,
			       bool probe_lock_known, const struct la_caller *c,
			       struct la_report *r)
{
	struct la_site v;
	struct la_rsite *s;

	if (!c->count)
		return;
	/* counted after rep was seen; last seen when the collector noticed
	 * (no examples: the devices come from the full path) */
	memset(&v, 0, sizeof(v));
	v.count = c->count;
	v.first_ns = c->rep_ns;
	v.last_ns = c->seen_ns > c->rep_ns ? c->seen_ns : c->rep_ns;
	/* the representative stack as it was when seen; the caller frame is
	 * the same code by construction (generation in the tag) */
	s = site_to_report(ks, def, probe_lock_known, &c->rep, &v, c->rep_ns,
			   r);
	if (!s)
		return;
	s->by_caller = c->count;
	report__merge_last(r);
}

/* The concurrent findings: symbolized, BPF frames dropped. */
static int read_races(struct la_collector *c, struct la_report *r)
{
	static char frames[2][LA_MAX_STACK][FRAME_LEN];
	char name[LA_NAME_LEN + 1], bus[LA_BUS_LEN + 1], drv[LA_NAME_LEN + 1];
	char comm[2][LA_COMM_LEN + 1];
	struct la_race_key key, next, *prev = NULL;
	struct la_race v;
	int fd = c->h->maps.races;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct la_rrace in = {0};
		char *ptrs[2][LA_MAX_STACK];
		bool ok = true;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &next, &v))
			continue;
		for (int t = 0; t < 2; t++) {
			size_t n = next.nr_ips[t] < LA_MAX_STACK
					   ? next.nr_ips[t]
					   : LA_MAX_STACK;
			struct la_attr a;

			if (next.hook[t] >= c->h->nr) {
				ok = false;
				break;
			}
			for (size_t i = 0; i < n; i++) {
				ksyms__format_at(c->sym.ks, next.ips[t][i],
						 v.last_ns, frames[t][i],
						 FRAME_LEN);
				ptrs[t][i] = frames[t][i];
			}
			in.task[t].entry =
				(char *)c->h->hook[next.hook[t]].def->func;
			la_attribute(in.task[t].entry, ptrs[t], n, &a);
			in.task[t].nr_frames = 0;
			for (size_t i = (size_t)a.first; i < n; i++)
				if (!la_frame_is_bpf(ptrs[t][i]))
					ptrs[t][in.task[t].nr_frames++] =
						ptrs[t][i];
			in.task[t].frames = ptrs[t];
			in.task[t].pid = (int)v.pid[t];
			in.task[t].comm =
				(char *)kstr(v.comm[t], LA_COMM_LEN, comm[t]);
		}
		if (!ok)
			continue;
		in.count = v.count;
		in.first_s = (double)v.first_ns / 1e9;
		in.last_s = (double)v.last_ns / 1e9;
		in.dev.name = (char *)kstr(v.dev.name, LA_NAME_LEN, name);
		in.dev.bus = (char *)kstr(v.dev.bus, LA_BUS_LEN, bus);
		in.dev.driver = (char *)kstr(v.dev.driver, LA_NAME_LEN, drv);
		in.dev.registered = v.dev.registered;
		report__add_race(r, &in);
	}
	return errno == ENOENT ? 0 : -errno;
}

/* The kernel's drop counters and the report's fields they fill. */
static const struct {
	__u32 counter;
	size_t offset; /* of the uint64_t in struct la_report */
} drop_fields[] = {
	{LA_CNT_SITE_DROPS, offsetof(struct la_report, dropped_sites)},
	{LA_CNT_RACE_DROPS, offsetof(struct la_report, dropped_races)},
	{LA_CNT_EVENT_DROPS, offsetof(struct la_report, dropped_events)},
	{LA_CNT_STACK_ERRS, offsetof(struct la_report, stack_errors)},
	{LA_CNT_TRACK_DROPS, offsetof(struct la_report, dropped_tracking)},
	{LA_CNT_MOD_DROPS, offsetof(struct la_report, dropped_modules)},
	{LA_CNT_SYM_DROPS, offsetof(struct la_report, dropped_names)},
	{LA_CNT_PATH_ERRS, offsetof(struct la_report, dropped_paths)},
};
_Static_assert(LA_REPORT_STATES == LA_NR_STATES,
	       "the report keeps calls for every lock state");
/* but the last two, missed and missed_exit: the programs' own counts
 * (misses.c, read_hooks) */
_Static_assert(sizeof(drop_fields) / sizeof(drop_fields[0]) == LA_NR_DROPS - 2,
	       "a drop the report shows that no counter fills");

/* Each hook's line: how it is attached, why not otherwise, its calls and
 * the calls the kernel did not run its programs for (misses.c). */
static int read_hooks(struct la_collector *c, const __u64 *cnt,
		      struct la_report *r)
{
	uint64_t missed[LA_MAX_HOOKS][2];

	misses__read(&misses__ops, c->h, missed);
	for (size_t i = 0; i < c->h->nr; i++) {
		const struct la_hook *hk = &c->h->hook[i];
		struct la_rhook *rh = report__hook_rule(
			r, hk->def->func, hk->def->rule, hk->def->src,
			(int)hk->def->path.hold);

		free(rh->attach);
		free(rh->reason);
		rh->attach = strdup(hooks__attached_name(hk->attached));
		rh->reason = strdup(hk->reason);
		if (!rh->attach || !rh->reason)
			return -ENOMEM;
		for (int s = 0; s < LA_NR_STATES; s++)
			rh->calls[s] = cnt[LA_CNT_CALLS + i * LA_NR_STATES + s];
		rh->missed = missed[i][0];
		rh->missed_exit = missed[i][1];
	}
	report__sum_missed(r);
	return 0;
}

static void read_drops(const __u64 *cnt, struct la_report *r)
{
	for (size_t i = 0; i < sizeof(drop_fields) / sizeof(drop_fields[0]);
	     i++)
		*(uint64_t *)((char *)r + drop_fields[i].offset) =
			cnt[drop_fields[i].counter];
}

/* The aggregation map: one site per entry (merged where they name the
 * same frames). */
static int read_sites(struct la_collector *c, struct la_report *r)
{
	int fd = c->h->maps.sites;
	struct la_key key, next, *prev = NULL;
	struct la_site val;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &val) == 0 &&
		    next.hook < c->h->nr)
			collect__site_to_report(
				c->sym.ks, c->h->hook[next.hook].def,
				c->h->probe_lock_addr != 0, &next, &val, r);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int collect__snapshot(struct la_collector *c, struct la_report *r)
{
	__u64 cnt[LA_NR_COUNTERS];
	int ret;

	/* symbols as they are now */
	ret = symfresh__refresh(&c->sym);
	if (!ret)
		ret = read_counters(c, cnt);
	if (!ret)
		ret = read_hooks(c, cnt, r);
	if (ret)
		return ret;
	read_drops(cnt, r);
	ret = read_sites(c, r);
	if (!ret)
		ret = callers__read(&c->callers, c->h, c->sym.ks, r);
	return ret ? ret : read_races(c, r);
}
