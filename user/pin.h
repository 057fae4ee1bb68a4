/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin.h - attached state that outlives the process: pin maps and links
 * under a bpffs directory (`lockaudit boot`), adopt them later (`collect`,
 * `run`), and remove them (detach).
 *
 * Nothing found there is used before it is shown to be lockaudit's: the
 * directory (a real directory on bpffs, owned by the caller, no access for
 * group or others), the meta map's random instance id, and every map's
 * type, key and value size, capacity and flags (as the BPF object declares
 * them) and kernel id (as meta records it).
 */
#ifndef LA_PIN_H
#define LA_PIN_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "pincheck.h" /* PIN_FOREIGN */

struct la_hooks;

#define LA_PIN_DIR "/sys/fs/bpf/lockaudit"

struct la_meta;
/* Where meta records the id of hook slot's pinned link (exit: its exit
 * link, --races); 0 there: none was pinned. */
__u32 *pin__link_id(struct la_meta *meta, size_t slot, bool exit);

/* Is there anything at dir (pinned state or not: pin__open tells)? */
bool pin__exists(const char *dir);

/*
 * Pin the maps and links of freshly attached hooks and what a later
 * process needs (meta map) into a new directory beside dir, then rename it
 * to dir, which must not exist: dir appears complete or not at all. After
 * this, destroying the in-process objects leaves the programs attached.
 * On failure nothing is left. 0 or -errno (reason in err).
 */
int pin__save(struct la_hooks *h, const char *dir, char *err, size_t errlen);

/*
 * Adopt pinned state: fill h (hooks, attach modes, reasons, map fds) from
 * the meta map, once dir and every map are checked. -ENOENT if nothing is
 * there, -EPROTO if another lockaudit version pinned it, PIN_FOREIGN if it
 * is not lockaudit's (or incomplete), else 0 or -errno (reason in err).
 */
int pin__open(struct la_hooks *h, const char *dir, char *err, size_t errlen);

/*
 * Unpin what lockaudit pinned under dir (its names, with the ids meta
 * records; the programs detach once no process holds them) and remove dir.
 * Anything else is left: then dir stays and this returns -ENOTEMPTY.
 * PIN_FOREIGN as pin__open, else 0 or -errno (reason in err).
 */
int pin__remove(const char *dir, char *err, size_t errlen);

#endif
