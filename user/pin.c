// SPDX-License-Identifier: GPL-2.0
/* pin.c - attached state that outlives the process: pin, adopt, remove */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hooks.h"
#include "lockaudit.skel.h"
#include "pin.h"
#include "pincheck.h"

/* la_meta.link_ids[i] is pinned as: link_N, link_exit_N, link_mod_N */
static void link_file(size_t i, char *name, size_t len)
{
	if (i < LA_MAX_HOOKS)
		snprintf(name, len, "link_%zu", i);
	else if (i < 2 * LA_MAX_HOOKS)
		snprintf(name, len, "link_exit_%zu", i - LA_MAX_HOOKS);
	else
		snprintf(name, len, "link_mod_%zu", i - 2 * LA_MAX_HOOKS);
}

__u32 *pin__link_id(struct la_meta *meta, size_t slot, bool exit)
{
	return &meta->link_ids[exit ? LA_MAX_HOOKS + slot : slot];
}

/* the libbpf link of la_meta.link_ids[i], if it is one (a kprobe's, the
 * module records'); NULL for an fentry clone's (a plain fd) or none */
static struct bpf_link *link_of(struct la_hooks *h, size_t i)
{
	if (i < LA_MAX_HOOKS)
		return i < h->nr ? h->hook[i].link : NULL;
	if (i < 2 * LA_MAX_HOOKS)
		return i - LA_MAX_HOOKS < h->nr
			       ? h->hook[i - LA_MAX_HOOKS].exit_link
			       : NULL;
	return h->mod_links[i - 2 * LA_MAX_HOOKS];
}

/* the fd of la_meta.link_ids[i], -1 if there is no such link */
static int link_fd_of(struct la_hooks *h, size_t i)
{
	if (i < LA_MAX_HOOKS)
		return i < h->nr ? hooks__link_fd(&h->hook[i], false) : -1;
	if (i < 2 * LA_MAX_HOOKS)
		return i - LA_MAX_HOOKS < h->nr
			       ? hooks__link_fd(&h->hook[i - LA_MAX_HOOKS],
						true)
			       : -1;
	return link_of(h, i) ? bpf_link__fd(link_of(h, i)) : -1;
}

/*
 * The i-th object lockaudit pins (false past the last): the links, then
 * the maps with meta last (while meta is there, what is left can be
 * found). Its file name, whether a link, and its id as meta records it.
 */
struct pinned {
	char name[32];
	bool link;
	size_t slot; /* in la_meta.link_ids[] or map_ids[] */
	__u32 *id;
};

static bool pinned_at(size_t i, struct la_meta *meta, struct pinned *p)
{
	p->link = i < LA_META_LINKS;
	if (p->link) {
		p->slot = i;
		link_file(i, p->name, sizeof(p->name));
		p->id = &meta->link_ids[i];
		return true;
	}
	i -= LA_META_LINKS;
	if (i >= LA_META_MAPS)
		return false;
	p->slot = i < PIN_META ? i : i + 1 < LA_META_MAPS ? i + 1 : PIN_META;
	snprintf(p->name, sizeof(p->name), "%s", hooks__map_name(p->slot));
	p->id = &meta->map_ids[p->slot];
	return true;
}

/* the pinned object's fd in h (-1: no such link) */
static int pinned_fd(struct la_hooks *h, const struct pinned *p)
{
	if (!p->link)
		return *hooks__map_fd(&h->maps, p->slot);
	return link_fd_of(h, p->slot);
}

bool pin__exists(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 || errno != ENOENT;
}

/* w[i]: map i as the BPF object declares it */
static int declared(struct pin_want *w, char *err, size_t errlen)
{
	struct lockaudit_bpf *skel = lockaudit_bpf__open();
	size_t i;

	if (!skel) {
		int ret = -errno;

		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		return ret;
	}
	for (i = 0; i < LA_META_MAPS; i++) {
		const struct bpf_map *m = bpf_object__find_map_by_name(
			skel->obj, hooks__map_name(i));

		if (!m) {
			snprintf(err, errlen, "the BPF object has no map %s",
				 hooks__map_name(i));
			lockaudit_bpf__destroy(skel);
			return -ENOENT;
		}
		w[i] = (struct pin_want){bpf_map__type(m), bpf_map__key_size(m),
					 bpf_map__value_size(m),
					 bpf_map__max_entries(m),
					 (__u32)bpf_map__map_flags(m)};
	}
	lockaudit_bpf__destroy(skel);
	/* meta is read into a struct la_meta */
	if (w[PIN_META].value_size != sizeof(struct la_meta)) {
		snprintf(err, errlen,
			 "the BPF object's meta map does not hold "
			 "a struct la_meta");
		return -EPROTO;
	}
	return 0;
}

/* pin fd as name in the directory open as dfd */
static int pin_at(int fd, int dfd, const char *dir, const char *name, char *err,
		  size_t errlen)
{
	char path[PATH_MAX];

	pincheck__path(path, sizeof(path), dfd, name);
	if (bpf_obj_pin(fd, path)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot pin %s/%s: %s", dir, name,
			 strerror(errno));
		return ret;
	}
	return 0;
}

static int obj_id(int fd, bool link, __u32 *id)
{
	struct bpf_link_info li;
	struct bpf_map_info mi;
	__u32 len = link ? sizeof(li) : sizeof(mi);

	memset(&li, 0, sizeof(li));
	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(fd, link ? (void *)&li : (void *)&mi, &len))
		return -errno;
	*id = link ? li.id : mi.id;
	return 0;
}

/* unpin what pin__save pinned in the directory open as dfd */
static void unpin_all(int dfd, struct la_meta *meta)
{
	struct pinned p;

	for (size_t i = 0; pinned_at(i, meta, &p); i++)
		if (*p.id)
			unlinkat(dfd, p.name, 0);
}

/* dir's parent (open) and last component; -errno (reason in err) */
static int split_dir(const char *dir, int *pfd, char *base, size_t len,
		     char *err, size_t errlen)
{
	char copy[PATH_MAX], copy2[PATH_MAX];
	int ret;

	if (snprintf(copy, sizeof(copy), "%s", dir) >= (int)sizeof(copy)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	memcpy(copy2, copy, sizeof(copy));
	snprintf(base, len, "%s", basename(copy));
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(err, errlen, "%s: not a directory name to pin under",
			 dir);
		return -EINVAL;
	}
	*pfd = open(dirname(copy2), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*pfd < 0) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot open the directory of %s: %s (is bpffs "
			 "mounted?)",
			 dir, strerror(errno));
		return ret;
	}
	return 0;
}

static int on_bpffs(int pfd, const char *dir, char *err, size_t errlen)
{
	struct statfs sfs;

	if (fstatfs(pfd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen,
			 "cannot pin under %s: its directory is not on a BPF "
			 "filesystem (is bpffs mounted?)",
			 dir);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * A new directory (0700) in dir's parent pfd, named after base and a new
 * random instance id (into meta): 0 (*tfd open, tmp its name) or -errno.
 */
static int make_tmp(int pfd, const char *dir, const char *base,
		    struct la_meta *meta, char *tmp, size_t len, int *tfd,
		    char *err, size_t errlen)
{
	int ret;

	if (getrandom(&meta->instance, sizeof(meta->instance), 0) !=
	    (ssize_t)sizeof(meta->instance)) {
		ret = -errno;
		snprintf(err, errlen, "cannot get a random instance id: %s",
			 strerror(errno));
		return ret;
	}
	meta->instance |= 1; /* never 0 */
	/* bpffs refuses names with dots */
	snprintf(tmp, len, "%.200s-new-%016llx", base,
		 (unsigned long long)meta->instance);
	if (mkdirat(pfd, tmp, 0700)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s-new-*: %s", dir,
			 strerror(errno));
		return ret;
	}
	*tfd = openat(pfd, tmp,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*tfd >= 0 && !fchmod(*tfd, 0700))
		return 0;
	ret = -errno;
	snprintf(err, errlen, "cannot open %s-new-*: %s", dir, strerror(errno));
	if (*tfd >= 0)
		close(*tfd);
	*tfd = -1;
	unlinkat(pfd, tmp, AT_REMOVEDIR);
	return ret;
}

/* A hook's rule as pinned (meta is read from a file: checked, every string
 * ended): 0, or -EPROTO if it is not one the programs could have had. */
static int def_from_meta(struct la_hook_def *d, struct la_meta_hook *m)
{
	const struct la_lockpath *p = &m->path;

	m->func[LA_FUNC_LEN - 1] = 0;
	m->reason[LA_REASON_LEN - 1] = 0;
	m->rule[LA_RULE_LEN - 1] = 0;
	m->src[LA_SRC_LEN - 1] = 0;
	if (!m->func[0] || m->lock >= LA_NR_LOCK_KINDS || m->arg > 5 ||
	    m->attached > LA_ATTACHED_KPROBE || p->base > LA_BASE_GLOBAL ||
	    p->arg > 5 || p->nr_derefs > LA_RULE_MAX_DEREFS ||
	    p->lock > LA_RLOCK_RWSEM || p->hold > LA_HOLD_READ)
		return -EPROTO;
	memset(d, 0, sizeof(*d));
	snprintf(d->func, sizeof(d->func), "%s", m->func);
	snprintf(d->rule, sizeof(d->rule), "%s", m->rule);
	snprintf(d->src, sizeof(d->src), "%s", m->src);
	d->lock = m->lock;
	d->arg = m->arg;
	d->path = *p;
	return 0;
}

/* meta as h is attached: its hooks, and the ids of what is pinned */
static int fill_meta(struct la_hooks *h, struct la_meta *meta, char *err,
		     size_t errlen)
{
	struct pinned p;
	size_t i;
	int ret;

	meta->abi = LA_META_ABI;
	meta->nr_hooks = (__u32)h->nr;
	meta->probe_lock_addr = h->probe_lock_addr;
	meta->attached_boot_ns = h->attached_boot_ns;
	meta->attached_real_s = h->attached_real_s;
	for (i = 0; i < h->nr; i++) {
		snprintf(meta->hooks[i].func, sizeof(meta->hooks[i].func), "%s",
			 h->hook[i].def->func);
		meta->hooks[i].attached = h->hook[i].attached;
		snprintf(meta->hooks[i].reason, sizeof(meta->hooks[i].reason),
			 "%s", h->hook[i].reason);
		meta->hooks[i].lock = h->hook[i].def->lock;
		meta->hooks[i].arg = h->hook[i].def->arg;
		meta->hooks[i].path = h->hook[i].def->path;
		snprintf(meta->hooks[i].rule, sizeof(meta->hooks[i].rule), "%s",
			 h->hook[i].def->rule);
		snprintf(meta->hooks[i].src, sizeof(meta->hooks[i].src), "%s",
			 h->hook[i].def->src);
	}
	for (i = 0; pinned_at(i, meta, &p); i++) {
		int fd = pinned_fd(h, &p);

		if (p.link && fd < 0)
			continue;
		ret = obj_id(fd, p.link, p.id);
		if (!ret)
			continue;
		if (p.link)
			snprintf(err, errlen, "cannot read a link's id: %s",
				 strerror(-ret));
		else
			snprintf(err, errlen,
				 "cannot read the id of map %s: %s", p.name,
				 strerror(-ret));
		return ret;
	}
	return 0;
}

/* write meta into its map, then pin everything it records under tfd */
static int pin_all(struct la_hooks *h, struct la_meta *meta, int tfd,
		   const char *dir, char *err, size_t errlen)
{
	struct pinned p;
	__u32 zero = 0;
	int ret = 0;

	if (bpf_map_update_elem(h->maps.meta, &zero, meta, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the meta map: %s",
			 strerror(errno));
		return ret;
	}
	for (size_t i = 0; !ret && pinned_at(i, meta, &p); i++)
		if (*p.id)
			ret = pin_at(pinned_fd(h, &p), tfd, dir, p.name, err,
				     errlen);
	return ret;
}

int pin__save(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	char base[NAME_MAX + 1], tmp[NAME_MAX + 1];
	struct la_meta meta;
	int pfd, tfd, ret;
	size_t i;

	memset(&meta, 0, sizeof(meta));
	ret = split_dir(dir, &pfd, base, sizeof(base), err, errlen);
	if (ret)
		return ret;
	ret = on_bpffs(pfd, dir, err, errlen);
	if (!ret)
		ret = make_tmp(pfd, dir, base, &meta, tmp, sizeof(tmp), &tfd,
			       err, errlen);
	if (ret)
		goto out;
	ret = fill_meta(h, &meta, err, errlen);
	if (!ret)
		ret = pin_all(h, &meta, tfd, dir, err, errlen);
	/* complete: in place at once, never over anything there */
	if (!ret && renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE)) {
		ret = -errno;
		snprintf(err, errlen, "cannot move the pins to %s: %s", dir,
			 strerror(errno));
	}
	if (ret) {
		unpin_all(tfd, &meta);
		unlinkat(pfd, tmp, AT_REMOVEDIR);
	} else {
		/* the pins hold the links now: closing ours must not detach
		 * them */
		for (i = 0; i < LA_META_LINKS; i++)
			if (link_of(h, i))
				bpf_link__disconnect(link_of(h, i));
	}
	close(tfd);
out:
	close(pfd);
	return ret;
}

int pin__open(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	struct pin_want w[LA_META_MAPS];
	struct la_meta meta;
	int dfd, ret;
	size_t i;
	__u32 id;

	memset(h, 0, sizeof(*h));
	memset(&h->maps, -1, sizeof(h->maps));
	h->adopted = true;
	ret = declared(w, err, errlen);
	if (ret)
		return ret;
	ret = pincheck__meta(dir, w, &dfd, &h->maps.meta, &meta, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < LA_META_MAPS; i++) {
		if (i == PIN_META)
			continue;
		ret = pincheck__map(dfd, dir, hooks__map_name(i), &w[i],
				    meta.map_ids[i], hooks__map_fd(&h->maps, i),
				    &id, err, errlen);
		if (ret)
			goto fail;
	}
	h->nr = meta.nr_hooks;
	h->probe_lock_addr = meta.probe_lock_addr;
	h->attached_boot_ns = meta.attached_boot_ns;
	h->attached_real_s = meta.attached_real_s;
	for (i = 0; i < h->nr; i++) {
		ret = def_from_meta(&h->def[i], &meta.hooks[i]);
		if (ret) {
			snprintf(err, errlen,
				 "state under %s: hook %zu is not one this "
				 "lockaudit version can read",
				 dir, i);
			goto fail;
		}
		h->hook[i].def = &h->def[i];
		/* the links are pinned: none of them is this process's */
		h->hook[i].prog_fd = h->hook[i].link_fd = -1;
		h->hook[i].exit_prog_fd = h->hook[i].exit_link_fd = -1;
		h->hook[i].attached = meta.hooks[i].attached;
		snprintf(h->hook[i].reason, sizeof(h->hook[i].reason), "%s",
			 meta.hooks[i].reason);
	}
	close(dfd);
	return 0;
fail:
	close(dfd);
	h->nr = 0;
	hooks__detach(h);
	return ret;
}

/* unpin name if it is the object meta recorded (want_id), else leave it:
 * 0 or -errno */
static int unpin_if(int dfd, const char *dir, const char *name, bool link,
		    __u32 want_id, char *err, size_t errlen)
{
	char path[PATH_MAX];
	__u32 id = 0;
	int fd, ret;

	pincheck__path(path, sizeof(path), dfd, name);
	fd = bpf_obj_get(path);
	if (fd < 0) /* gone, or not a BPF object */
		return 0;
	ret = pincheck__fd_is(fd, link) ? obj_id(fd, link, &id) : -EINVAL;
	close(fd);
	if (ret || id != want_id)
		return 0;
	if (unlinkat(dfd, name, 0)) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove %s/%s: %s", dir, name,
			 strerror(errno));
		return ret;
	}
	return 0;
}

int pin__remove(const char *dir, char *err, size_t errlen)
{
	struct pin_want w[LA_META_MAPS];
	char base[NAME_MAX + 1];
	int dfd, meta_fd, pfd, ret;
	struct la_meta meta;
	struct pinned p;
	size_t i;

	ret = declared(w, err, errlen);
	if (ret)
		return ret;
	ret = split_dir(dir, &pfd, base, sizeof(base), err, errlen);
	if (ret)
		return ret;
	ret = pincheck__meta(dir, w, &dfd, &meta_fd, &meta, err, errlen);
	if (ret)
		goto out;
	close(meta_fd);
	for (i = 0; !ret && pinned_at(i, &meta, &p); i++)
		if (*p.id)
			ret = unpin_if(dfd, dir, p.name, p.link, *p.id, err,
				       errlen);
	close(dfd);
	if (ret)
		goto out;
	if (!unlinkat(pfd, base, AT_REMOVEDIR)) {
		ret = 0;
	} else if (errno == ENOTEMPTY || errno == EEXIST) {
		ret = -ENOTEMPTY;
		snprintf(err, errlen,
			 "left %s: it holds entries lockaudit did not pin",
			 dir);
	} else {
		ret = -errno;
		snprintf(err, errlen, "cannot remove %s: %s", dir,
			 strerror(errno));
	}
out:
	close(pfd);
	return ret;
}
