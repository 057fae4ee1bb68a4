// SPDX-License-Identifier: GPL-2.0
/*
 * pincheck.c - is what lies under a pin directory lockaudit's? Directory,
 * maps and meta checked before pin.c uses anything there
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hooks.h"
#include "pincheck.h"

void pincheck__path(char *path, size_t len, int dfd, const char *name)
{
	snprintf(path, len, "/proc/self/fd/%d/%s", dfd, name);
}

bool pincheck__fd_is(int fd, bool link)
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

int pincheck__dir(const char *dir, int *fd, char *err, size_t errlen)
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

/* info as w declares it? 0, or PIN_FOREIGN saying what differs */
static int check_layout(const struct bpf_map_info *info,
			const struct pin_want *w, const char *dir,
			const char *name, char *err, size_t errlen)
{
	const struct {
		const char *what;
		__u32 got, want;
	} cmp[] = {{"type", info->type, w->type},
		   {"key size", info->key_size, w->key_size},
		   {"value size", info->value_size, w->value_size},
		   {"max entries", info->max_entries, w->max_entries},
		   {"flags", info->map_flags, w->flags}};

	for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
		if (cmp[i].got == cmp[i].want)
			continue;
		snprintf(err, errlen,
			 "%s/%s is not lockaudit's map: %s %u, the BPF object "
			 "declares %u",
			 dir, name, cmp[i].what, cmp[i].got, cmp[i].want);
		return PIN_FOREIGN;
	}
	return 0;
}

int pincheck__map(int dfd, const char *dir, const char *name,
		  const struct pin_want *w, __u32 want_id, int *fd, __u32 *id,
		  char *err, size_t errlen)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int ret;

	pincheck__path(path, sizeof(path), dfd, name);
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
	if (!pincheck__fd_is(*fd, false)) {
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
	ret = check_layout(&info, w, dir, name, err, errlen);
	if (ret)
		goto fail;
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

int pincheck__meta(const char *dir, const struct pin_want *w, int *dfd,
		   int *meta_fd, struct la_meta *meta, char *err, size_t errlen)
{
	__u32 zero = 0, id;
	int ret;

	*meta_fd = -1;
	ret = pincheck__dir(dir, dfd, err, errlen);
	if (ret)
		return ret;
	ret = pincheck__map(*dfd, dir, "meta", &w[PIN_META], 0, meta_fd, &id,
			    err, errlen);
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
	else if (meta->map_ids[PIN_META] != id)
		snprintf(err, errlen,
			 "%s/meta is not the map lockaudit pinned there (id "
			 "%u, it records %u)",
			 dir, id, meta->map_ids[PIN_META]);
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
