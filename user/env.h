/* SPDX-License-Identifier: GPL-2.0 */
/* env.h - what the running system allows: privileges, BTF, kernel identity */
#ifndef LA_ENV_H
#define LA_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* true if CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN) are effective */
bool env__has_bpf_caps(void);
/* /sys/kernel/btf/vmlinux exists */
bool env__kernel_btf(void);
/* Check that path can be written: creates and removes a temporary file
 * beside it. "-" is stdout. Returns 0 or -errno. */
int env__check_writable(const char *path);
/* uname release and machine */
void env__kernel(char *release, size_t rlen, char *arch, size_t alen,
		 char *host, size_t hlen);
/* CLOCK_BOOTTIME and CLOCK_REALTIME now, in ns */
unsigned long long env__boot_ns(void);
unsigned long long env__real_ns(void);

#endif
