// SPDX-License-Identifier: GPL-2.0
/*
 * pinfake.c - pinned state for the CLI tests (tests/cli/cases/pin.sh),
 * without BPF programs: only maps, which the host kernel lets root create.
 *
 *   pinfake DIR good         lockaudit's layout, pinned by pin__save() from
 *                            maps made as the BPF object declares them and
 *                            no hooks (so no links)
 *   pinfake DIR good-link    good, with an XDP link on the loopback device
 *                            as its first module-load link (run it in a
 *                            network namespace of its own: unshare -n)
 *   pinfake DIR value-size   good, then DIR/sites replaced by a map whose
 *                            value is 64 KiB, holding one entry of 'A's
 *   pinfake DIR same-layout  good, then DIR/sites replaced by another map
 *                            of the same layout
 *   pinfake DIR foreign-meta a new directory (0700) with a map that is not
 *                            lockaudit's pinned as DIR/meta
 *   pinfake DIR pin NAME     a map that is not lockaudit's pinned as
 *                            DIR/NAME
 *   pinfake DIR link NAME    an XDP link (as good-link) pinned as DIR/NAME
 *   pinfake DIR sites        good, with two hooks in meta
 * (acpi_dma_configure_id fentry, iommu_probe_device absent), calls and drops in
 * the counters and three sites whose frames the symnames map names: a driver
 * with
 *                            '"', '\' and a newline in its module and
 *                            function names (tests/cli/cases/metrics.sh)
 *
 * Exit 0, or 1 with a message.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "lockaudit.skel.h"
#include "pin.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "pinfake: %s: %s\n", what, strerror(err));
	exit(1);
}

/* a map of the object's map name, as the object declares it */
static int make_map(struct lockaudit_bpf *skel, const char *name)
{
	const struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, name);
	LIBBPF_OPTS(bpf_map_create_opts, o);
	int fd;

	if (!m)
		die(name, ENOENT);
	o.map_flags = bpf_map__map_flags(m);
	fd = bpf_map_create(bpf_map__type(m), name, bpf_map__key_size(m),
			    bpf_map__value_size(m), bpf_map__max_entries(m),
			    &o);
	if (fd < 0)
		die(name, errno);
	return fd;
}

/* a link that needs no tracing program: XDP_PASS on the loopback device
 * (ifindex 1 in a new network namespace) */
static int make_link(void)
{
	const struct bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int prog =
		bpf_prog_load(BPF_PROG_TYPE_XDP, "pass", "GPL", pass, 2, NULL);
	int fd;

	if (prog < 0)
		die("an XDP program", errno);
	fd = bpf_link_create(prog, 1, BPF_XDP, NULL);
	if (fd < 0)
		die("an XDP link on ifindex 1", errno);
	close(prog);
	return fd;
}

/* the link fd as a libbpf bpf_link, which pin__save takes: through a pin */
static struct bpf_link *libbpf_link(int fd, const char *dir)
{
	struct bpf_link *l;
	char path[512];

	snprintf(path, sizeof(path), "%s-link", dir);
	if (bpf_obj_pin(fd, path))
		die(path, errno);
	l = bpf_link__open(path);
	if (!l)
		die(path, errno);
	unlink(path);
	close(fd);
	return l;
}

/* the counters and sites of "pinfake DIR sites" */
static void fill_sites(const struct la_hooks *h)
{
	static const struct {
		__u64 addr;
		const char *name;
	} names[] = {
		{0x1000, "acpi_dma_configure_id+0x9/0x80"},
		{0x2000, "ev\"il\\fn\nx+0x23/0x40 [ba\"d\\mod\ny]"},
		{0x3000, "do_one_initcall+0x5b/0x300"},
		{0x4000, "la_call_other+0x23/0x40 [la_test]"},
	};
	static const __u64 calls[LA_NR_STATES] = {7, 5, 1};
	int ncpus = libbpf_num_possible_cpus();
	__u64 *per_cpu = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(__u64));
	struct la_key k = {.hook = 0, .flags = LA_F_REGISTERED, .nr_ips = 3};
	struct la_site v = {.first_ns = 1000000000, .last_ns = 2000000000};
	__u32 i;

	if (ncpus <= 0 || !per_cpu)
		die("per-CPU values", ENOMEM);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct la_symkey sk = {.addr = names[i].addr};
		char val[LA_SYMNAME_LEN] = {0};

		strncpy(val, names[i].name, sizeof(val) - 1);
		if (bpf_map_update_elem(h->maps.symnames, &sk, val, BPF_ANY))
			die("a symnames entry", errno);
	}
	for (i = 0; i < LA_NR_STATES; i++) {
		__u32 key = LA_CNT_CALLS + i;

		per_cpu[0] = calls[i];
		if (bpf_map_update_elem(h->maps.counters, &key, per_cpu,
					BPF_ANY))
			die("a counter", errno);
	}
	i = LA_CNT_EVENT_DROPS;
	per_cpu[0] = 2;
	if (bpf_map_update_elem(h->maps.counters, &i, per_cpu, BPF_ANY))
		die("a counter", errno);
	free(per_cpu);
	/* unlocked, from the hostile driver: 5 calls */
	k.state = LA_UNLOCKED;
	k.ips[0] = 0x1000, k.ips[1] = 0x2000, k.ips[2] = 0x3000;
	v.count = 5;
	if (bpf_map_update_elem(h->maps.sites, &k, &v, BPF_ANY))
		die("a site", errno);
	/* held by another task, from la_test: 1 call */
	k.state = LA_HELD_OTHER;
	k.ips[1] = 0x4000;
	v.count = 1;
	v.holder_pid = 42;
	strcpy(v.holder_comm, "holder");
	if (bpf_map_update_elem(h->maps.sites, &k, &v, BPF_ANY))
		die("a site", errno);
	/* held: 7 calls, no violation */
	k.state = LA_HELD;
	v.count = 7;
	if (bpf_map_update_elem(h->maps.sites, &k, &v, BPF_ANY))
		die("a site", errno);
}

/* two hooks as meta records them: one attached, one absent */
static void two_hooks(struct la_hooks *h)
{
	/* as ruleset.c makes them from the built-in rules/iommu.rules */
	static const struct {
		const char *func;
		int line;
	} builtin[2] = {{"acpi_dma_configure_id", 8}, {"iommu_probe_device", 11}};

	h->nr = 2;
	for (size_t i = 0; i < 2; i++) {
		struct la_hook_def *d = &h->def[i];

		snprintf(d->func, sizeof(d->func), "%s", builtin[i].func);
		snprintf(d->rule, sizeof(d->rule), "device_lock_assert(dev)");
		snprintf(d->src, sizeof(d->src), "<built-in>/iommu.rules:%d",
			 builtin[i].line);
		d->lock = LA_LOCK_DEV_MUTEX;
		h->hook[i].def = d;
		h->hook[i].prog_fd = h->hook[i].link_fd = -1;
		h->hook[i].exit_prog_fd = h->hook[i].exit_link_fd = -1;
	}
	h->hook[0].attached = LA_ATTACHED_FENTRY;
	h->hook[1].attached = LA_ATTACHED_NONE;
	snprintf(h->hook[1].reason, sizeof(h->hook[1].reason),
		 "not in kallsyms (not built, or inlined)");
}

static void good(const char *dir, bool with_link, bool sites)
{
	struct lockaudit_bpf *skel = lockaudit_bpf__open();
	struct la_hooks h;
	const char *name;
	char err[256];
	size_t i;
	int *fd;

	if (!skel)
		die("cannot open the BPF object", errno);
	memset(&h, 0, sizeof(h));
	/* every map lockaudit pins, named as pin.c names them */
	for (i = 0; (name = hooks__map(&h.maps, i, &fd)); i++)
		*fd = make_map(skel, name);
	lockaudit_bpf__destroy(skel);
	if (sites) {
		two_hooks(&h);
		fill_sites(&h);
	}
	if (with_link)
		h.mod_links[0] = libbpf_link(make_link(), dir);
	if (pin__save(&h, dir, err, sizeof(err))) {
		fprintf(stderr, "pinfake: %s\n", err);
		exit(1);
	}
	bpf_link__destroy(h.mod_links[0]); /* disconnected: stays pinned */
}

/* pin fd as dir/name, in place of what is there */
static void pin_as(int fd, const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) && errno != ENOENT)
		die(path, errno);
	if (bpf_obj_pin(fd, path))
		die(path, errno);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[1] : NULL;
	const char *mode = argc > 2 ? argv[2] : NULL;
	int fd;

	if (!dir || (argc != 3 && !(argc == 4 && (!strcmp(mode, "pin") ||
						  !strcmp(mode, "link"))))) {
		fprintf(stderr,
			"usage: pinfake DIR good|good-link|sites|value-size|"
			"same-layout|foreign-meta|pin NAME|link NAME\n");
		return 2;
	}
	if (!strcmp(mode, "good")) {
		good(dir, false, false);
	} else if (!strcmp(mode, "good-link")) {
		good(dir, true, false);
	} else if (!strcmp(mode, "sites")) {
		good(dir, false, true);
	} else if (!strcmp(mode, "value-size")) {
		static struct la_key key;
		static char value[65536];

		good(dir, false, false);
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, "sites", sizeof(key),
				    sizeof(value), 16, NULL);
		if (fd < 0)
			die("a map with a large value", errno);
		memset(value, 'A', sizeof(value));
		if (bpf_map_update_elem(fd, &key, value, BPF_ANY))
			die("an entry of 'A's", errno);
		pin_as(fd, dir, "sites");
	} else if (!strcmp(mode, "same-layout")) {
		struct lockaudit_bpf *skel = lockaudit_bpf__open();

		if (!skel)
			die("cannot open the BPF object", errno);
		good(dir, false, false);
		pin_as(make_map(skel, "sites"), dir, "sites");
		lockaudit_bpf__destroy(skel);
	} else if (!strcmp(mode, "foreign-meta")) {
		if (mkdir(dir, 0700))
			die(dir, errno);
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "meta", 4, 4, 1, NULL);
		if (fd < 0)
			die("a small map", errno);
		pin_as(fd, dir, "meta");
	} else if (!strcmp(mode, "pin")) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "other", 4, 4, 1, NULL);
		if (fd < 0)
			die("a small map", errno);
		pin_as(fd, dir, argv[3]);
	} else if (!strcmp(mode, "link")) {
		pin_as(make_link(), dir, argv[3]);
	} else {
		fprintf(stderr, "pinfake: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
