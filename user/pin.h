/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin.h - attached state that outlives the process: pin maps and links
 * under a bpffs directory (`lockaudit boot`), adopt them later (`collect`,
 * `run`), and remove them (detach).
 */
#ifndef LA_PIN_H
#define LA_PIN_H

#include <stdbool.h>
#include <stddef.h>

struct la_hooks;

#define LA_PIN_DIR "/sys/fs/bpf/lockaudit"

/* Is there pinned state (its meta map) under dir? */
bool pin__exists(const char *dir);

/*
 * Pin the maps and links of freshly attached hooks under dir and record
 * what a later process needs (meta map). After this, destroying the
 * in-process objects leaves the programs attached. On failure everything
 * pinned so far is removed. 0 or -errno (reason in err).
 */
int pin__save(struct la_hooks *h, const char *dir, char *err, size_t errlen);

/*
 * Adopt pinned state: fill h (hooks, attach modes, reasons, map fds) from
 * the meta map. -ENOENT if nothing is pinned, -EPROTO if another lockaudit
 * version pinned it. 0 or -errno (reason in err).
 */
int pin__open(struct la_hooks *h, const char *dir, char *err, size_t errlen);

/* Unpin everything under dir (detaches once no process holds it). */
int pin__remove(const char *dir, char *err, size_t errlen);

#endif
