// SPDX-License-Identifier: GPL-2.0
/* pin.c - attached state that outlives the process: pin, adopt, remove */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hooks.h"
#include "lockaudit.skel.h"
#include "pin.h"

/* map name in the object = file name under the pin directory; meta's slot
 * in la_meta.map_ids[] is META */
static const char *const map_files[LA_META_MAPS] = {
	"races",    "modgen", "sites", "counters", "events",
	"settings", "mods",   "meta",  "callers",  "symnames"};
#define META 7

static int *map_fd(struct la_maps *m, size_t i)
{
	int *fds[LA_META_MAPS] = {&m->races,	&m->modgen, &m->sites,
				  &m->counters, &m->events, &m->settings,
				  &m->mods,	&m->meta,   &m->callers,
				  &m->symnames};

	return fds[i];
}

const char *pin__map(struct la_maps *m, size_t i, int **fd)
{
	if (i >= LA_META_MAPS)
		return NULL;
	*fd = map_fd(m, i);
	return map_files[i];
}

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

bool pin__exists(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 || errno != ENOENT;
}

/* path of name inside the directory open as dfd, for the bpf() calls that
 * take only a path: resolved through the descriptor, not the name again */
static void at_path(char *path, size_t len, int dfd, const char *name)
{
	snprintf(path, len, "/proc/self/fd/%d/%s", dfd, name);
}

/* Is fd a BPF map (or link)? By its anon inode's name: "bpf-map"; a link
 * is "bpf_link" when created, "bpf-link" when opened from a pin. */
static bool fd_is(int fd, bool link)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	if (!link)
		return !strcmp(target, "anon_inode:bpf-map");
	return !strcmp(target, "anon_inode:bpf-link") ||
	       !strcmp(target, "anon_inode:bpf_link");
}

/*
 * Open dir, if it is lockaudit's: a directory (not a symlink) on bpffs,
 * owned by us, with no access for group or others. 0 (*fd set),
 * PIN_FOREIGN, or -errno.
 */
static int open_dir(const char *dir, int *fd, char *err, size_t errlen)
{
	struct statfs sfs;
	struct stat st;
	int ret;

	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		ret = -errno;
		if (errno == ELOOP || errno == ENOTDIR) {
			snprintf(err, errlen,
				 "%s is %s, not lockaudit's directory", dir,
				 !lstat(dir, &st) && S_ISLNK(st.st_mode)
					 ? "a symbolic link"
					 : "not a directory");
			return PIN_FOREIGN;
		}
		snprintf(err, errlen, "cannot open %s: %s", dir,
			 strerror(errno));
		return ret;
	}
	if (fstatfs(*fd, &sfs) || fstat(*fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", dir,
			 strerror(errno));
		goto fail;
	}
	ret = PIN_FOREIGN;
	if (sfs.f_type != BPF_FS_MAGIC)
		snprintf(err, errlen,
			 "%s is not on a BPF filesystem (bpffs): not "
			 "lockaudit's",
			 dir);
	else if (st.st_uid != geteuid())
		snprintf(err, errlen,
			 "%s is owned by uid %u, not %u: not lockaudit's", dir,
			 (unsigned int)st.st_uid, (unsigned int)geteuid());
	else if (st.st_mode & 077)
		snprintf(err, errlen,
			 "%s has mode %04o, lockaudit's has 0700: not "
			 "lockaudit's",
			 dir, (unsigned int)(st.st_mode & 07777));
	else
		return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

/* A map as the BPF object declares it. */
struct map_want {
	__u32 type, key_size, value_size, max_entries, flags;
};

static int declared(struct map_want *w, char *err, size_t errlen)
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
		const struct bpf_map *m =
			bpf_object__find_map_by_name(skel->obj, map_files[i]);

		if (!m) {
			snprintf(err, errlen, "the BPF object has no map %s",
				 map_files[i]);
			lockaudit_bpf__destroy(skel);
			return -ENOENT;
		}
		w[i] = (struct map_want){bpf_map__type(m), bpf_map__key_size(m),
					 bpf_map__value_size(m),
					 bpf_map__max_entries(m),
					 (__u32)bpf_map__map_flags(m)};
	}
	lockaudit_bpf__destroy(skel);
	/* meta is read into a struct la_meta */
	if (w[META].value_size != sizeof(struct la_meta)) {
		snprintf(err, errlen,
			 "the BPF object's meta map does not hold "
			 "a struct la_meta");
		return -EPROTO;
	}
	return 0;
}

/*
 * Open the map pinned as name under dfd and check it against w and, if
 * want_id, its kernel id. 0 (*fd set, *id its id), PIN_FOREIGN or -errno.
 */
static int open_map(int dfd, const char *dir, const char *name,
		    const struct map_want *w, __u32 want_id, int *fd, __u32 *id,
		    char *err, size_t errlen)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int ret;

	at_path(path, sizeof(path), dfd, name);
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		ret = -errno;
		if (errno == ENOENT) {
			snprintf(err, errlen,
				 "%s/%s is missing: not lockaudit's state, or "
				 "incomplete",
				 dir, name);
			return PIN_FOREIGN;
		}
		snprintf(err, errlen, "cannot open pinned %s/%s: %s", dir, name,
			 strerror(errno));
		return ret;
	}
	if (!fd_is(*fd, false)) {
		snprintf(err, errlen, "%s/%s is not a BPF map: not lockaudit's",
			 dir, name);
		ret = PIN_FOREIGN;
		goto fail;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(*fd, &info, &len)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read what %s/%s is: %s", dir,
			 name, strerror(errno));
		goto fail;
	}
	{
		const struct {
			const char *what;
			__u32 got, want;
		} cmp[] = {{"type", info.type, w->type},
			   {"key size", info.key_size, w->key_size},
			   {"value size", info.value_size, w->value_size},
			   {"max entries", info.max_entries, w->max_entries},
			   {"flags", info.map_flags, w->flags}};
		size_t i;

		for (i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
			if (cmp[i].got == cmp[i].want)
				continue;
			snprintf(err, errlen,
				 "%s/%s is not lockaudit's map: %s %u, the BPF "
				 "object declares %u",
				 dir, name, cmp[i].what, cmp[i].got,
				 cmp[i].want);
			ret = PIN_FOREIGN;
			goto fail;
		}
	}
	if (want_id && info.id != want_id) {
		snprintf(err, errlen,
			 "%s/%s is not the map lockaudit pinned there (id %u, "
			 "meta records %u)",
			 dir, name, info.id, want_id);
		ret = PIN_FOREIGN;
		goto fail;
	}
	*id = info.id;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

/*
 * Open dir and its meta map, both checked, and read meta. 0 (*dfd and
 * *meta_fd open), PIN_FOREIGN, -EPROTO or -errno.
 */
static int open_meta(const char *dir, const struct map_want *w, int *dfd,
		     int *meta_fd, struct la_meta *meta, char *err,
		     size_t errlen)
{
	__u32 zero = 0, id;
	int ret;

	*meta_fd = -1;
	ret = open_dir(dir, dfd, err, errlen);
	if (ret)
		return ret;
	ret = open_map(*dfd, dir, "meta", &w[META], 0, meta_fd, &id, err,
		       errlen);
	if (ret)
		goto fail;
	if (bpf_map_lookup_elem(*meta_fd, &zero, meta)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s/meta: %s", dir,
			 strerror(errno));
		goto fail;
	}
	if (meta->abi != LA_META_ABI || meta->nr_hooks > LA_MAX_HOOKS) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "state under %s was pinned by another lockaudit "
			 "version (abi %u, this is %u): detach it with "
			 "'lockaudit collect --detach' of that version, or "
			 "remove %s",
			 dir, meta->abi, LA_META_ABI, dir);
		goto fail;
	}
	ret = PIN_FOREIGN;
	if (!meta->instance)
		snprintf(err, errlen,
			 "%s/meta has no instance id: not lockaudit's", dir);
	else if (meta->map_ids[META] != id)
		snprintf(err, errlen,
			 "%s/meta is not the map lockaudit pinned there (id "
			 "%u, it records %u)",
			 dir, id, meta->map_ids[META]);
	else
		return 0;
fail:
	if (*meta_fd >= 0)
		close(*meta_fd);
	*meta_fd = -1;
	close(*dfd);
	*dfd = -1;
	return ret;
}

/* pin fd as name in the directory open as dfd */
static int pin_at(int fd, int dfd, const char *dir, const char *name, char *err,
		  size_t errlen)
{
	char path[PATH_MAX];

	at_path(path, sizeof(path), dfd, name);
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
static void unpin_all(int dfd, const struct la_meta *meta)
{
	char name[32];
	size_t i;

	for (i = 0; i < LA_META_LINKS; i++) {
		link_file(i, name, sizeof(name));
		if (meta->link_ids[i])
			unlinkat(dfd, name, 0);
	}
	for (i = 0; i < LA_META_MAPS; i++)
		unlinkat(dfd, map_files[i], 0);
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

int pin__save(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	struct la_meta meta;
	char base[NAME_MAX + 1], tmp[NAME_MAX + 1], name[32];
	int pfd = -1, tfd = -1, ret;
	__u32 zero = 0;
	size_t i;

	memset(&meta, 0, sizeof(meta));
	ret = split_dir(dir, &pfd, base, sizeof(base), err, errlen);
	if (ret)
		return ret;
	{
		struct statfs sfs;

		if (fstatfs(pfd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
			ret = -ENOTSUP;
			snprintf(err, errlen,
				 "cannot pin under %s: its directory is not on "
				 "a BPF filesystem (is bpffs mounted?)",
				 dir);
			goto out;
		}
	}
	if (getrandom(&meta.instance, sizeof(meta.instance), 0) !=
	    (ssize_t)sizeof(meta.instance)) {
		ret = -errno;
		snprintf(err, errlen, "cannot get a random instance id: %s",
			 strerror(errno));
		goto out;
	}
	meta.instance |= 1; /* never 0 */
	/* bpffs refuses names with dots */
	snprintf(tmp, sizeof(tmp), "%.200s-new-%016llx", base,
		 (unsigned long long)meta.instance);
	if (mkdirat(pfd, tmp, 0700)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s-new-*: %s", dir,
			 strerror(errno));
		goto out;
	}
	tfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || fchmod(tfd, 0700)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s-new-*: %s", dir,
			 strerror(errno));
		goto rmtmp;
	}
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
	for (i = 0; i < LA_META_MAPS; i++) {
		ret = obj_id(*map_fd(&h->maps, i), false, &meta.map_ids[i]);
		if (ret) {
			snprintf(err, errlen,
				 "cannot read the id of map %s: %s",
				 map_files[i], strerror(-ret));
			goto rmtmp;
		}
	}
	for (i = 0; i < LA_META_LINKS; i++) {
		if (!link_of(h, i))
			continue;
		ret = obj_id(bpf_link__fd(link_of(h, i)), true,
			     &meta.link_ids[i]);
		if (ret) {
			snprintf(err, errlen, "cannot read a link's id: %s",
				 strerror(-ret));
			goto rmtmp;
		}
	}
	if (bpf_map_update_elem(h->maps.meta, &zero, &meta, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the meta map: %s",
			 strerror(errno));
		goto rmtmp;
	}
	for (i = 0; i < LA_META_LINKS; i++) {
		if (!meta.link_ids[i])
			continue;
		link_file(i, name, sizeof(name));
		ret = pin_at(bpf_link__fd(link_of(h, i)), tfd, dir, name, err,
			     errlen);
		if (ret)
			goto rmtmp;
	}
	for (i = 0; i < LA_META_MAPS; i++) {
		ret = pin_at(*map_fd(&h->maps, i), tfd, dir, map_files[i], err,
			     errlen);
		if (ret)
			goto rmtmp;
	}
	/* complete: in place at once, never over anything there */
	if (renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE)) {
		ret = -errno;
		snprintf(err, errlen, "cannot move the pins to %s: %s", dir,
			 strerror(errno));
		goto rmtmp;
	}
	/* the pins hold the links now: closing ours must not detach them */
	for (i = 0; i < LA_META_LINKS; i++)
		if (link_of(h, i))
			bpf_link__disconnect(link_of(h, i));
	ret = 0;
	goto out;
rmtmp:
	if (tfd >= 0)
		unpin_all(tfd, &meta);
	unlinkat(pfd, tmp, AT_REMOVEDIR);
out:
	if (tfd >= 0)
		close(tfd);
	close(pfd);
	return ret;
}

int pin__open(struct la_hooks *h, const char *dir, char *err, size_t errlen)
{
	struct map_want w[LA_META_MAPS];
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
	ret = open_meta(dir, w, &dfd, &h->maps.meta, &meta, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < LA_META_MAPS; i++) {
		if (i == META)
			continue;
		ret = open_map(dfd, dir, map_files[i], &w[i], meta.map_ids[i],
			       map_fd(&h->maps, i), &id, err, errlen);
		if (ret)
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

	at_path(path, sizeof(path), dfd, name);
	fd = bpf_obj_get(path);
	if (fd < 0) /* gone, or not a BPF object */
		return 0;
	ret = fd_is(fd, link) ? obj_id(fd, link, &id) : -EINVAL;
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
	struct map_want w[LA_META_MAPS];
	char base[NAME_MAX + 1], name[32];
	int dfd, meta_fd, pfd, ret;
	struct la_meta meta;
	size_t i;

	ret = declared(w, err, errlen);
	if (ret)
		return ret;
	ret = split_dir(dir, &pfd, base, sizeof(base), err, errlen);
	if (ret)
		return ret;
	ret = open_meta(dir, w, &dfd, &meta_fd, &meta, err, errlen);
	if (ret)
		goto out;
	close(meta_fd);
	for (i = 0; i < LA_META_LINKS && !ret; i++) {
		if (!meta.link_ids[i])
			continue;
		link_file(i, name, sizeof(name));
		ret = unpin_if(dfd, dir, name, true, meta.link_ids[i], err,
			       errlen);
	}
	for (i = 0; i < LA_META_MAPS && !ret; i++) {
		if (i == META)
			continue;
		ret = unpin_if(dfd, dir, map_files[i], false, meta.map_ids[i],
			       err, errlen);
	}
	/* meta last: while it is there, what is left can be found */
	if (!ret)
		ret = unpin_if(dfd, dir, "meta", false, meta.map_ids[META], err,
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
