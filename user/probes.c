// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the `probes` command: attach by trial and show, for every
 * watch-list entry point, whether this kernel has it, how it attaches and
 * why not fentry; as a table or as lockaudit.probes/1 JSON
 * (docs/probes.schema.json).
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cmds.h"
#include "env.h"
#include "hooks.h"
#include "setup.h"

static json_object *probe_json(const struct la_hook *hk)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "function",
			       json_object_new_string(hk->def->func));
	json_object_object_add(e, "present",
			       json_object_new_boolean(hk->in_kallsyms));
	json_object_object_add(e, "btf", json_object_new_boolean(hk->in_btf));
	json_object_object_add(
		e, "attach",
		json_object_new_string(hooks__attached_name(hk->attached)));
	json_object_object_add(e, "reason", json_object_new_string(hk->reason));
	if (hk->def->src[0]) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "assertion",
				       json_object_new_string(hk->def->rule));
		json_object_object_add(r, "source",
				       json_object_new_string(hk->def->src));
		json_object_object_add(e, "rule", r);
	}
	return e;
}

/* The lockaudit.probes/1 document for the hooks as attached. */
static json_object *probes_json(const struct la_hooks *h, const char *rel,
				const char *arch)
{
	json_object *root = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(root, "schema",
			       json_object_new_string("lockaudit.probes/1"));
	json_object_object_add(root, "kernel", json_object_new_string(rel));
	json_object_object_add(root, "arch", json_object_new_string(arch));
	a = json_object_new_array();
	for (i = 0; i < h->nr; i++)
		json_object_array_add(a, probe_json(&h->hook[i]));
	json_object_object_add(root, "hooks", a);
	return root;
}

static void print_json(const struct la_hooks *h, const char *rel,
		       const char *arch, bool pretty)
{
	json_object *root = probes_json(h, rel, arch);

	printf("%s\n", json_object_to_json_string_ext(
			       root, (pretty ? JSON_C_TO_STRING_PRETTY
					     : JSON_C_TO_STRING_PLAIN) |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_table(const struct la_hooks *h, const char *rel,
			const char *arch)
{
	size_t i;

	printf("kernel %s (%s)\n%-26s %-8s %-7s %s\n", rel, arch, "entry point",
	       "present", "attach", "why not fentry / why absent");
	for (i = 0; i < h->nr; i++) {
		const struct la_hook *hk = &h->hook[i];

		printf("%-26s %-8s %-7s %s\n", hk->def->func,
		       hk->in_kallsyms ? "yes" : "no",
		       hooks__attached_name(hk->attached),
		       hk->reason[0] ? hk->reason : "-");
	}
}

enum la_err cmd_probes(const struct la_opts *o)
{
	char rel[128], arch[64], host[256];
	struct la_hooks h;
	enum la_err ret;
	size_t n;

	ret = setup__attach(o, &h, &n);
	if (ret)
		return ret;
	env__kernel(rel, sizeof(rel), arch, sizeof(arch), host, sizeof(host));
	if (o->json_probes)
		print_json(&h, rel, arch, o->pretty);
	else
		print_table(&h, rel, arch);
	hooks__detach(&h);
	if (!n)
		return fail__say(LA_ERR_NOHOOKS,
				 "no entry point could be attached");
	return fflush(stdout) ? LA_ERR_OUTPUT : LA_OK;
}
