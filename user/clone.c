// SPDX-License-Identifier: GPL-2.0
/*
 * clone.c - per-rule clones of the fentry and fexit templates: captured as
 * libbpf loads them (a program handler's prepare callback sees the final
 * instructions and the BTF func and line info libbpf passes), loaded again
 * per target with the rule's slot patched in (clone.h); an fentry template
 * per lock kind
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "clone.h"
#include "lockaudit.h"
#include "xalloc.h"

struct tmpl {
	bool captured;
	struct bpf_insn *insns;
	size_t cnt;
	void *func_info, *line_info;
	__u32 func_info_cnt, func_info_rec_size;
	__u32 line_info_cnt, line_info_rec_size;
	int prog_btf_fd; /* the object's BTF: open while the object is */
};

static struct tmpl tmpls[LA_NR_TMPLS];

static const char *const sections[LA_NR_TMPLS] = {
	[LA_TMPL_DEV] = "fentry.la_tmpl_dev",
	[LA_TMPL_MUTEX] = "fentry.la_tmpl_mutex",
	[LA_TMPL_RWSEM] = "fentry.la_tmpl_rwsem",
	[LA_TMPL_FEXIT] = "fexit.la_tmpl",
};

/* the kernel's BTF, parsed once for every clone's target (each parse of
 * vmlinux's is a while under emulation); module BTFs by name */
static struct btf *vmlinux_btf;
static struct kbtf {
	char name[64];
	__u32 id;
	struct btf *btf;
} * mods;
static size_t nr_mods;

static struct btf *vmlinux(void)
{
	if (!vmlinux_btf)
		vmlinux_btf = btf__load_vmlinux_btf();
	return vmlinux_btf;
}

static void *dup_mem(const void *p, size_t n)
{
	void *q;

	if (!p || !n)
		return NULL;
	q = xcalloc(1, n);
	memcpy(q, p, n);
	return q;
}

/* libbpf is about to load a template: keep what it loads */
static int capture(struct bpf_program *prog, struct bpf_prog_load_opts *o,
		   long cookie)
{
	struct tmpl *t = &tmpls[(unsigned long)cookie % LA_NR_TMPLS];

	free(t->insns);
	free(t->func_info);
	free(t->line_info);
	memset(t, 0, sizeof(*t));
	t->cnt = bpf_program__insn_cnt(prog);
	t->insns = dup_mem(bpf_program__insns(prog),
			   t->cnt * sizeof(struct bpf_insn));
	t->func_info_cnt = o->func_info_cnt;
	t->func_info_rec_size = o->func_info_rec_size;
	t->func_info = dup_mem(o->func_info, (size_t)o->func_info_cnt *
						     o->func_info_rec_size);
	t->line_info_cnt = o->line_info_cnt;
	t->line_info_rec_size = o->line_info_rec_size;
	t->line_info = dup_mem(o->line_info, (size_t)o->line_info_cnt *
						     o->line_info_rec_size);
	t->prog_btf_fd = o->prog_btf_fd;
	t->captured = t->insns != NULL;
	return 0;
}

int clone__register(void)
{
	static int done;

	if (done)
		return 0;
	for (unsigned int t = 0; t < LA_NR_TMPLS; t++) {
		LIBBPF_OPTS(libbpf_prog_handler_opts, ho, .cookie = t,
			    .prog_prepare_load_fn = capture);
		int ret = libbpf_register_prog_handler(
			sections[t], BPF_PROG_TYPE_TRACING,
			t == LA_TMPL_FEXIT ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY,
			&ho);

		if (ret < 0)
			return ret;
	}
	done = 1;
	return 0;
}

int clone__captured(enum la_tmpl t)
{
	return (unsigned int)t < LA_NR_TMPLS && tmpls[t].captured;
}

void clone__reset(void)
{
	for (size_t i = 0; i < nr_mods; i++)
		btf__free(mods[i].btf);
	free(mods);
	mods = NULL;
	nr_mods = 0;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	for (size_t i = 0; i < LA_NR_TMPLS; i++) {
		free(tmpls[i].insns);
		free(tmpls[i].func_info);
		free(tmpls[i].line_info);
		memset(&tmpls[i], 0, sizeof(tmpls[i]));
	}
}

size_t clone__patch(struct bpf_insn *insns, size_t n, unsigned int mark)
{
	const __u32 lo = (__u32)(LA_SLOT_MARK & 0xffffffffULL);
	const __u32 hi = (__u32)(LA_SLOT_MARK >> 32);
	size_t i, patched = 0;

	for (i = 0; i + 1 < n; i++) {
		struct bpf_insn *x = &insns[i];

		if (x->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		/* a plain 64-bit constant: not a map, BTF or function */
		if (!x->src_reg &&
		    ((__u32)x->imm & ~(__u32)LA_SLOT_MARK_MASK) == lo &&
		    (__u32)insns[i + 1].imm == hi) {
			x->imm = (__s32)(lo | (mark & LA_SLOT_MARK_MASK));
			patched++;
		}
		i++; /* the second half of the 16-byte load */
	}
	return patched;
}

/* the BTF of loaded module name (split on vmlinux's), and its kernel id;
 * looked up once */
static struct kbtf *module_btf(const char *name)
{
	struct btf *base = vmlinux();
	__u32 next = 0;

	for (size_t i = 0; i < nr_mods; i++)
		if (!strcmp(mods[i].name, name))
			return mods[i].btf ? &mods[i] : NULL;
	if (!base)
		return NULL;
	mods = xrealloc(mods, (nr_mods + 1) * sizeof(*mods));
	memset(&mods[nr_mods], 0, sizeof(*mods));
	snprintf(mods[nr_mods].name, sizeof(mods[nr_mods].name), "%s", name);
	while (!bpf_btf_get_next_id(next, &next)) {
		struct bpf_btf_info info;
		char bname[64] = "";
		__u32 len = sizeof(info);
		int fd = bpf_btf_get_fd_by_id(next);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)bname;
		info.name_len = sizeof(bname);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.kernel_btf && !strcmp(bname, name)) {
			mods[nr_mods].id = next;
			mods[nr_mods].btf =
				btf__load_from_kernel_by_id_split(next, base);
			close(fd);
			break;
		}
		close(fd);
	}
	nr_mods++;
	return mods[nr_mods - 1].btf ? &mods[nr_mods - 1] : NULL;
}

/* func's BTF id in the kernel BTF object that has it (*obj_fd: -1 for
 * vmlinux, else a module's BTF fd the caller closes); 0 or -errno */
static int find_target(const char *func, const char *module, int *obj_fd,
		       __u32 *id)
{
	struct btf *b = module ? NULL : vmlinux();
	struct kbtf *m = module ? module_btf(module) : NULL;
	int ret;

	*obj_fd = -1;
	if (module && m)
		b = m->btf;
	if (!b)
		return module ? -ENOENT : -errno;
	ret = btf__find_by_name_kind(b, func, BTF_KIND_FUNC);
	if (ret < 0)
		return ret;
	*id = (__u32)ret;
	if (m) {
		*obj_fd = bpf_btf_get_fd_by_id(m->id);
		if (*obj_fd < 0)
			return -errno;
	}
	return 0;
}

int clone__load(enum la_tmpl tt, const char *func, const char *module,
		unsigned int mark, char *log, size_t loglen, char *err,
		size_t errlen)
{
	const enum bpf_attach_type type =
		tt == LA_TMPL_FEXIT ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	const struct tmpl *t;
	struct bpf_insn *insns;
	int obj_fd = -1, fd;
	__u32 id = 0;

	if (!clone__captured(tt)) {
		snprintf(err, errlen, "no template loaded to clone");
		return -ENOENT;
	}
	t = &tmpls[tt];
	fd = find_target(func, module, &obj_fd, &id);
	if (fd < 0) {
		snprintf(err, errlen, "%s: not found in the kernel's BTF: %s",
			 func, strerror(-fd));
		return fd;
	}
	insns = dup_mem(t->insns, t->cnt * sizeof(*insns));
	if (type == BPF_TRACE_FENTRY &&
	    clone__patch(insns, t->cnt, mark) == 0) {
		free(insns);
		if (obj_fd >= 0)
			close(obj_fd);
		snprintf(err, errlen, "the fentry template %s has no slot mark",
			 sections[tt]);
		return -EINVAL;
	}
	o.expected_attach_type = type;
	o.attach_btf_id = id;
	o.attach_btf_obj_fd = obj_fd >= 0 ? obj_fd : 0;
	o.prog_btf_fd = t->prog_btf_fd;
	o.func_info = t->func_info;
	o.func_info_cnt = t->func_info_cnt;
	o.func_info_rec_size = t->func_info_rec_size;
	o.line_info = t->line_info;
	o.line_info_cnt = t->line_info_cnt;
	o.line_info_rec_size = t->line_info_rec_size;
	if (log && loglen) {
		log[0] = 0;
		o.log_buf = log;
		o.log_size = (__u32)loglen;
		o.log_level = 1;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING,
			   type == BPF_TRACE_FEXIT ? "la_fexit" : "la_fentry",
			   "GPL", insns, t->cnt, &o);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "%s", strerror(-fd));
	}
	free(insns);
	if (obj_fd >= 0)
		close(obj_fd);
	return fd;
}
