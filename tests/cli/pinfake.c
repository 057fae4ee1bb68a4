// SPDX-License-Identifier: GPL-2.0
/*
 * pinfake.c - pinned state for the CLI tests (tests/cli/cases/pin.sh),
 * without BPF programs: only maps, which the host kernel lets root create.
 *
 *   pinfake DIR good         lockaudit's layout, pinned by pin__save() from
 *                            maps made as the BPF object declares them and
 *                            no hooks (so no links)
 *   pinfake DIR value-size   good, then DIR/sites replaced by a map whose
 *                            value is 64 KiB, holding one entry of 'A's
 *   pinfake DIR same-layout  good, then DIR/sites replaced by another map
 *                            of the same layout
 *   pinfake DIR foreign-meta a new directory (0700) with a map that is not
 *                            lockaudit's pinned as DIR/meta
 *   pinfake DIR pin NAME     a map that is not lockaudit's pinned as
 *                            DIR/NAME
 *
 * Exit 0, or 1 with a message.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
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

static void good(const char *dir)
{
	struct lockaudit_bpf *skel = lockaudit_bpf__open();
	struct la_hooks h;
	char err[256];

	if (!skel)
		die("cannot open the BPF object", errno);
	memset(&h, 0, sizeof(h));
	h.maps = (struct la_maps){
		.sites = make_map(skel, "sites"),
		.counters = make_map(skel, "counters"),
		.events = make_map(skel, "events"),
		.settings = make_map(skel, "settings"),
		.mods = make_map(skel, "mods"),
		.meta = make_map(skel, "meta"),
		.modgen = make_map(skel, "modgen"),
		.races = make_map(skel, "races"),
		.callers = make_map(skel, "callers"),
	};
	lockaudit_bpf__destroy(skel);
	if (pin__save(&h, dir, err, sizeof(err))) {
		fprintf(stderr, "pinfake: %s\n", err);
		exit(1);
	}
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

	if (!dir || (argc != 3 && !(argc == 4 && !strcmp(mode, "pin")))) {
		fprintf(stderr, "usage: pinfake DIR good|value-size|"
				"same-layout|foreign-meta|pin NAME\n");
		return 2;
	}
	if (!strcmp(mode, "good")) {
		good(dir);
	} else if (!strcmp(mode, "value-size")) {
		static struct la_key key;
		static char value[65536];

		good(dir);
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
		good(dir);
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
	} else {
		fprintf(stderr, "pinfake: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
