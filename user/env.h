/* SPDX-License-Identifier: GPL-2.0 */
/* env.h - what the running system allows: privileges, BTF, kernel identity */
#ifndef LA_ENV_H
#define LA_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* true if CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN) are effective: enough to
 * read and adopt pinned state */
bool env__has_bpf_caps(void);
/* true if CAP_SYS_ADMIN is effective: loading the programs needs it (libbpf
 * lists the kernel's BTF objects, BPF_BTF_GET_NEXT_ID, CAP_SYS_ADMIN only
 * in every kernel; libbpf 1.1 fails the load without it) */
bool env__has_sys_admin(void);
/* /sys/kernel/btf/vmlinux exists */
bool env__kernel_btf(void);
/*
 * Check an output path before any work ("-" is stdout, always fine): refuses
 * a path ending in '/', a symbolic link, anything but a regular file and,
 * with own, an existing file not owned by the caller; then creates and
 * removes a temporary file beside it. 0, or -errno and a one-line reason
 * in why.
 */
int env__check_output(const char *path, bool own, char *why, size_t len);
/*
 * Open an output file to write from its start (events): O_NOFOLLOW, the
 * same checks again on the open file (fstat), then truncated. A new file
 * follows the umask (0666 & ~umask); an existing one keeps its mode. The
 * descriptor, or -errno and a reason in why.
 */
int env__open_output(const char *path, bool own, char *why, size_t len);
/* a and b are one file: the same device and inode if both exist, else the
 * same path once the directory is resolved */
bool env__same_file(const char *a, const char *b);
/* uname release and machine */
void env__kernel(char *release, size_t rlen, char *arch, size_t alen,
		 char *host, size_t hlen);
/* CLOCK_BOOTTIME and CLOCK_REALTIME now, in ns */
unsigned long long env__boot_ns(void);
unsigned long long env__real_ns(void);

#endif
