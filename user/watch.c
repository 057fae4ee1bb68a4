// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - the hooks a command asked for by name (--hooks), among the
 * rules it watches (hooks.h)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hooks.h"

static void add(struct la_hooks *h, const struct la_hook_def *d)
{
	struct la_hook *hk = &h->hook[h->nr];

	h->def[h->nr] = *d;
	hk->def = &h->def[h->nr];
	hk->prog_fd = hk->link_fd = hk->exit_prog_fd = hk->exit_link_fd = -1;
	h->nr++;
}

/* Is the rule (by address) selected already? */
static bool selected(const struct la_hooks *h, const struct la_hook_def *d)
{
	for (size_t i = 0; i < h->nr; i++)
		if (!strcmp(h->def[i].func, d->func) &&
		    !strcmp(h->def[i].src, d->src))
			return true;
	return false;
}

int hooks__select(struct la_hooks *h, const struct la_ruleset *rs,
		  const char *list, char *err, size_t errlen)
{
	char buf[1024], *tok, *save = NULL;
	size_t i;

	memset(h, 0, sizeof(*h));
	memset(&h->maps, -1, sizeof(h->maps));
	if (!list || !strcmp(list, "all")) {
		for (i = 0; i < rs->nr; i++)
			add(h, &rs->def[i]);
		return 0;
	}
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "hook list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	/* in the order named, each function's rules in file order */
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (i = 0; i < rs->nr; i++) {
			if (strcmp(tok, rs->def[i].func))
				continue;
			found = true;
			if (!selected(h, &rs->def[i]))
				add(h, &rs->def[i]);
		}
		if (!found) {
			snprintf(err, errlen,
				 "unknown hook '%s': no rule watches it (see "
				 "'lockaudit probes' for the watch list)",
				 tok);
			return -ENOENT;
		}
	}
	if (!h->nr) {
		snprintf(err, errlen, "empty hook list");
		return -EINVAL;
	}
	return 0;
}
