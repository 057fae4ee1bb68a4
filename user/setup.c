// SPDX-License-Identifier: GPL-2.0
/*
 * setup.c - the hooks a command watches through: the checks before loading
 * BPF, in the order a user would fix them, then attaching them or adopting
 * what `lockaudit boot` pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "hooks.h"
#include "ksyms.h"
#include "pin.h"
#include "ruleset.h"
#include "setup.h"
#include "symfresh.h"

/* 6.7+: the global lock serialising dev->iommu; judged, not required */
#define PROBE_LOCK "iommu_probe_device_lock"

static enum la_err check_outputs(const struct la_opts *o)
{
	char err[256];

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail__report_to(o->json, err);
	if (o->events && env__check_output(o->events, true, err, sizeof(err)))
		return fail__events_to(o->events, err);
	return LA_OK;
}

static enum la_err check_btf(const struct la_opts *o)
{
	if (o->btf && access(o->btf, R_OK))
		return fail__say(LA_ERR_NOBTF, "cannot read BTF file '%s': %s",
				 o->btf, strerror(errno));
	if (!o->btf && !env__kernel_btf())
		return fail__say(
			LA_ERR_NOBTF,
			"kernel exposes no BTF (/sys/kernel/btf/vmlinux): use "
			"a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass "
			"--btf FILE");
	return LA_OK;
}

/* The names whose addresses attaching needs, read with the symbols; the
 * rules' globals follow them */
#define LA_NAMES_MAX (3 + 2 * LA_MAX_HOOKS + 1)
static const char *const fixed_names[] = {PROBE_LOCK, "_stext", "_etext"};

/* What the rules resolve against: the symbols read at start-up. */
struct la_symread {
	const struct ksyms *ks;
	const char *names[LA_NAMES_MAX];
	uint64_t addrs[LA_NAMES_MAX];
	size_t n;
};

static bool sym_lookup(void *arg, const char *name, uint64_t *addr,
		       const char **module)
{
	const struct la_symread *sr = arg;
	const struct ksym *k;

	for (size_t i = 0; i < sr->n; i++)
		if (!strcmp(sr->names[i], name) && sr->addrs[i]) {
			*addr = sr->addrs[i];
			*module = NULL;
			return true;
		}
	k = ksyms__by_name(sr->ks, name, NULL);
	if (!k)
		return false;
	*addr = k->addr;
	*module = k->module;
	return true;
}

/* The rules (--rules, else the built-in), and the hooks --hooks selects
 * among them: read before anything else is checked. */
static enum la_err load_rules(const struct la_opts *o, struct la_hooks *h,
			      struct la_rules **rr)
{
	struct la_ruleset *rs = calloc(1, sizeof(*rs));
	enum la_err ret = LA_OK;
	char err[512];

	if (!rs)
		return fail__oom();
	*rr = ruleset__load(o->rules, o->nr_rules, rs, err, sizeof(err));
	if (!*rr)
		ret = fail__say(LA_ERR_INPUT, "%s", err);
	else if (hooks__select(h, rs, o->hooks, err, sizeof(err)))
		ret = fail__say(LA_ERR_HOOK, "%s", err);
	free(rs);
	return ret;
}

/* Read the symbols (and the addresses of the fixed names and of the
 * rules' globals) once; resolve the rules against them. */
static enum la_err read_and_resolve(const struct la_opts *o, struct la_hooks *h,
				    struct la_rules *rr,
				    struct la_ksyms_read *kr)
{
	struct la_symread *sr = calloc(1, sizeof(*sr));
	enum la_err ret = LA_OK;
	char err[512];
	size_t i;

	if (!sr)
		return fail__oom();
	for (i = 0; i < 3; i++)
		sr->names[sr->n++] = fixed_names[i];
	sr->n += ruleset__names(rr, sr->names + sr->n, LA_NAMES_MAX - sr->n);
	/* before kallsyms, as symfresh__reload: a module loading meanwhile
	 * moves it, and the collector reads again */
	kr->modules_sum = symfresh__modules_sum(LA_MODULES);
	/* live-filtered as the collector's, which takes it over (run) */
	kr->ks = ksyms__load_live_addrs(LA_KALLSYMS, LA_MODULES, sr->names,
					sr->addrs, sr->n);
	if (!kr->ks && errno == EPERM) {
		ret = fail__kptr();
		goto out;
	}
	if (!kr->ks) {
		ret = fail__say(LA_ERR_FAIL, "cannot read " LA_KALLSYMS ": %s",
				strerror(errno));
		goto out;
	}
	for (i = 0; i < 3; i++)
		kr->addrs[i] = sr->addrs[i];
	sr->ks = kr->ks;
	if (ruleset__resolve(rr, h, o->btf, sym_lookup, sr, err, sizeof(err))) {
		ret = err[0] ? fail__say(LA_ERR_INPUT, "%s", err)
			     : LA_ERR_INPUT;
		ksyms__free(kr->ks);
		kr->ks = NULL;
	}
out:
	free(sr);
	return ret;
}

/* The checks every command that loads BPF shares; kr: the kernel's symbols
 * on success, and the addresses of fixed_names[]. */
static enum la_err preflight(const struct la_opts *o, struct la_hooks *h,
			     struct la_ksyms_read *kr)
{
	struct la_rules *rr = NULL;
	enum la_err ret;

	ret = load_rules(o, h, &rr);
	if (!ret)
		ret = check_outputs(o);
	if (!ret && !env__has_bpf_caps())
		ret = fail__caps(o->cmd);
	if (!ret)
		ret = check_btf(o);
	if (!ret)
		ret = read_and_resolve(o, h, rr, kr);
	ruleset__free(rr);
	return ret;
}

/* Load and attach; *n: how many attached. */
static enum la_err attach(const struct la_opts *o, struct la_hooks *h,
			  const struct la_ksyms_read *kr, size_t *n)
{
	struct la_attach_opts ao = {
		.mode = o->mode,
		.btf_path = o->btf,
		.kernel_btf = env__kernel_btf(),
		.races = o->races,
	};
	char err[256];
	int ret;

	if (!env__has_sys_admin())
		return fail__say(LA_ERR_PERM,
				 "loading the BPF programs needs CAP_SYS_ADMIN "
				 "too (libbpf lists the kernel's BTF objects, "
				 "which only CAP_SYS_ADMIN may): run as root; "
				 "without it, only pinned state can be adopted "
				 "or collected");
	ao.probe_lock_addr = kr->addrs[0];
	ao.text_start = kr->addrs[1];
	ao.text_end = kr->addrs[2];

	hooks__set_verbose(o->verbose);
	ret = hooks__attach(h, kr->ks, &ao, err, sizeof(err));
	if (ret < 0)
		return fail__say(LA_ERR_FAIL, "%s", err);
	*n = (size_t)ret;
	return LA_OK;
}

enum la_err setup__attach(const struct la_opts *o, struct la_hooks *h,
			  size_t *n)
{
	struct la_ksyms_read kr = {0};
	enum la_err ret;

	ret = preflight(o, h, &kr);
	if (ret)
		return ret;
	ret = attach(o, h, &kr, n);
	ksyms__free(kr.ks);
	return ret;
}

/* The state an earlier `lockaudit boot` pinned: adopted (run) or, only
 * once it is shown to be lockaudit's, refused as "already attached". */
static enum la_err adopt_pinned(const struct la_opts *o, struct la_hooks *h,
				bool adopt)
{
	char err[256];
	int ret;

	ret = pin__open(h, o->pin_dir, err, sizeof(err));
	if (ret)
		return fail__pin(ret, err);
	if (!adopt) {
		hooks__detach(h);
		return fail__say(LA_ERR_PINNED,
				 "already attached (state pinned under %s): "
				 "read it with 'lockaudit collect', or detach "
				 "with 'lockaudit collect --detach'",
				 o->pin_dir);
	}
	if (o->hooks || o->mode != LA_MODE_AUTO)
		fprintf(stderr,
			"lockaudit: adopting the hooks pinned under %s; "
			"--hooks/--attach do not apply\n",
			o->pin_dir);
	return LA_OK;
}

/* Nothing attached: why, per hook (with -v, or unless the kernel refuses
 * tracing as a whole: then one line). */
static enum la_err none_attached(const struct la_opts *o, struct la_hooks *h)
{
	char err[256];
	bool refused = hooks__tracing_refused(h, err, sizeof(err));
	size_t i;

	for (i = 0; i < h->nr && (!refused || o->verbose); i++)
		fprintf(stderr, "lockaudit: %s: %s\n", h->hook[i].def->func,
			h->hook[i].reason);
	hooks__detach(h);
	if (refused)
		return fail__say(LA_ERR_NOHOOKS, "%s", err);
	return fail__say(LA_ERR_NOHOOKS, "no entry point could be attached "
					 "(see 'lockaudit probes')");
}

enum la_err setup__hooks(const struct la_opts *o, struct la_hooks *h,
			 bool adopt, struct la_ksyms_read *out)
{
	struct la_ksyms_read kr = {0};
	enum la_err ret;
	size_t n;

	if (out)
		*out = kr;
	ret = preflight(o, h, &kr);
	if (ret)
		return ret;
	if (pin__exists(o->pin_dir)) {
		ksyms__free(kr.ks);
		return adopt_pinned(o, h, adopt);
	}
	ret = attach(o, h, &kr, &n);
	if (!ret && !n)
		ret = none_attached(o, h);
	if (!ret && out)
		*out = kr; /* the caller's now */
	else
		ksyms__free(kr.ks);
	return ret;
}

void setup__count(const struct la_hooks *h, size_t *nfe, size_t *nkp)
{
	size_t i;

	*nfe = *nkp = 0;
	for (i = 0; i < h->nr; i++) {
		*nfe += h->hook[i].attached == LA_ATTACHED_FENTRY;
		*nkp += h->hook[i].attached == LA_ATTACHED_KPROBE;
	}
}
