/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pincheck.h - is what lies under a pin directory lockaudit's? The
 * directory, each map's layout and kernel id, and the meta map, checked
 * before anything there is used (pin.c).
 */
#ifndef LA_PINCHECK_H
#define LA_PINCHECK_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "lockaudit.h"

/* meta's index in la_meta.map_ids[] (pin.c's table of maps) */
/* Returned (> 0) when dir, or something in it, is not lockaudit's. */
#define PIN_FOREIGN 1

#define PIN_META 7

/* A map as the BPF object declares it. */
struct pin_want {
	__u32 type, key_size, value_size, max_entries, flags;
};

/* path of name inside the directory open as dfd, for the bpf() calls that
 * take only a path: resolved through the descriptor, not the name again */
void pincheck__path(char *path, size_t len, int dfd, const char *name);

/* Is fd a BPF map (or link)? By its anon inode's name: "bpf-map"; a link
 * is "bpf_link" when created, "bpf-link" when opened from a pin. */
bool pincheck__fd_is(int fd, bool link);

/*
 * Open dir, if it is lockaudit's: a directory (not a symlink) on bpffs,
 * owned by us, with no access for group or others. 0 (*fd set),
 * PIN_FOREIGN, or -errno.
 */
int pincheck__dir(const char *dir, int *fd, char *err, size_t errlen);

/*
 * Open the map pinned as name under dfd and check it against w and, if
 * want_id, its kernel id. 0 (*fd set, *id its id), PIN_FOREIGN or -errno.
 */
int pincheck__map(int dfd, const char *dir, const char *name,
		  const struct pin_want *w, __u32 want_id, int *fd, __u32 *id,
		  char *err, size_t errlen);

/*
 * Open dir and its meta map, both checked against w (indexed as
 * la_meta.map_ids[]), and read meta. 0 (*dfd and *meta_fd open),
 * PIN_FOREIGN, -EPROTO or -errno.
 */
int pincheck__meta(const char *dir, const struct pin_want *w, int *dfd,
		   int *meta_fd, struct la_meta *meta, char *err,
		   size_t errlen);

#endif
