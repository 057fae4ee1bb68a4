// SPDX-License-Identifier: GPL-2.0
/* pin.c - attached state that outlives the process: pin, adopt, remove */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "lockaudit.skel.h"
#include "pin.h"

/* map name in the object -> file name under the pin directory */
static const char *const map_files[] = {"races",    "modgen", "sites",
					"counters", "events", "settings",
					"mods",	    "meta",   "callers"};

static int *map_fd(struct la_maps *m, size_t i)
{
	int *fds[] = {&m->races,    &m->modgen, &m->sites,
		      &m->counters, &m->events, &m->settings,
		      &m->mods,	    &m->meta,	&m->callers};

	return fds[i];
}

#define NR_MAPS (sizeof(map_files) / sizeof(map_files[0]))

bool pin__exists(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/meta", dir);
	return access(path, F_OK) == 0;
}

static int pin_fd(int fd, const char *dir, const char *name, char *err,
		  size_t errlen)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot pin %s: %s", path,
			 strerror(errno));
		return ret;
	}
	return 0;
}

int pin__save(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	struct la_meta meta;
	char name[32];
	__u32 zero = 0;
	size_t i;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot create %s: %s (is bpffs mounted on %s?)", dir,
			 strerror(errno), "/sys/fs/bpf");
		return ret;
	}
	memset(&meta, 0, sizeof(meta));
	meta.abi = LA_META_ABI;
	meta.nr_hooks = (__u32)h->nr;
	meta.probe_lock_addr = h->probe_lock_addr;
	meta.attached_boot_ns = h->attached_boot_ns;
	meta.attached_real_s = h->attached_real_s;
	for (i = 0; i < h->nr; i++) {
		snprintf(meta.hooks[i].func, sizeof(meta.hooks[i].func), "%s",
			 h->hook[i].def->func);
		meta.hooks[i].attached = h->hook[i].attached;
		snprintf(meta.hooks[i].reason, sizeof(meta.hooks[i].reason),
			 "%s", h->hook[i].reason);
	}
	if (bpf_map_update_elem(h->maps.meta, &zero, &meta, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the meta map: %s",
			 strerror(errno));
		return ret;
	}
	for (i = 0; i < h->nr; i++) {
		if (!h->hook[i].link)
			continue;
		snprintf(name, sizeof(name), "link_%zu", i);
		ret = pin_fd(bpf_link__fd(h->hook[i].link), dir, name, err,
			     errlen);
		if (ret)
			goto fail;
	}
	for (i = 0; i < h->nr; i++) {
		if (!h->hook[i].exit_link)
			continue;
		snprintf(name, sizeof(name), "link_exit_%zu", i);
		ret = pin_fd(bpf_link__fd(h->hook[i].exit_link), dir, name, err,
			     errlen);
		if (ret)
			goto fail;
	}
	for (i = 0; i < 2; i++) {
		if (!h->mod_links[i])
			continue;
		snprintf(name, sizeof(name), "link_mod_%zu", i);
		ret = pin_fd(bpf_link__fd(h->mod_links[i]), dir, name, err,
			     errlen);
		if (ret)
			goto fail;
	}
	/* meta last: its presence says the state is complete */
	for (i = 0; i < NR_MAPS; i++) {
		size_t k = NR_MAPS - 1 - i;

		ret = pin_fd(*map_fd(&h->maps, k), dir, map_files[k], err,
			     errlen);
		if (ret)
			goto fail;
	}
	/* the pins hold the links now: closing ours must not detach them */
	for (i = 0; i < h->nr; i++) {
		if (h->hook[i].link)
			bpf_link__disconnect(h->hook[i].link);
		if (h->hook[i].exit_link)
			bpf_link__disconnect(h->hook[i].exit_link);
	}
	for (i = 0; i < 2; i++)
		if (h->mod_links[i])
			bpf_link__disconnect(h->mod_links[i]);
	return 0;
fail : {
	char ignored[64]; /* err already says what failed first */

	pin__remove(dir, ignored, sizeof(ignored));
	return ret;
}
}

int pin__open(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	struct la_meta meta;
	char path[256];
	__u32 zero = 0;
	size_t i;
	int ret;

	memset(h, 0, sizeof(*h));
	memset(&h->maps, -1, sizeof(h->maps));
	h->adopted = true;
	for (i = 0; i < NR_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_files[i]);
		*map_fd(&h->maps, i) = bpf_obj_get(path);
		if (*map_fd(&h->maps, i) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open pinned %s: %s", path,
				 strerror(errno));
			goto fail;
		}
	}
	if (bpf_map_lookup_elem(h->maps.meta, &zero, &meta)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s/meta: %s", dir,
			 strerror(errno));
		goto fail;
	}
	if (meta.abi != LA_META_ABI || meta.nr_hooks > LA_MAX_HOOKS) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "state under %s was pinned by another lockaudit "
			 "version (abi %u, this is %u): detach it with "
			 "'lockaudit collect --detach' of that version, or "
			 "remove %s",
			 dir, meta.abi, LA_META_ABI, dir);
		goto fail;
	}
	h->nr = meta.nr_hooks;
	h->probe_lock_addr = meta.probe_lock_addr;
	h->attached_boot_ns = meta.attached_boot_ns;
	h->attached_real_s = meta.attached_real_s;
	for (i = 0; i < h->nr; i++) {
		meta.hooks[i].func[LA_FUNC_LEN - 1] = 0;
		meta.hooks[i].reason[LA_REASON_LEN - 1] = 0;
		h->hook[i].def = hooks__def(meta.hooks[i].func);
		if (!h->hook[i].def) {
			ret = -EPROTO;
			snprintf(err, errlen,
				 "state under %s watches '%s', unknown to this "
				 "lockaudit version",
				 dir, meta.hooks[i].func);
			goto fail;
		}
		h->hook[i].attached = meta.hooks[i].attached;
		snprintf(h->hook[i].reason, sizeof(h->hook[i].reason), "%s",
			 meta.hooks[i].reason);
	}
	return 0;
fail:
	hooks__detach(h);
	return ret;
}

int pin__remove(const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", dir,
			 strerror(errno));
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !ret) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove %s: %s", path,
				 strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) && !ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove %s: %s", dir,
			 strerror(errno));
	}
	return ret;
}
