// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - the watch list as data (function, argument, lock kind) and the
 * hooks a command asked for by name (hooks.h)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hooks.h"

/*
 * The watch list. Every IOMMU/DMA configuration entry point takes the
 * device first. A new entry point is one line here.
 */
const struct la_hook_def la_watch_list[] = {
	{"of_dma_configure_id", 0, LA_LOCK_DEV_MUTEX},
	{"acpi_dma_configure_id", 0, LA_LOCK_DEV_MUTEX},
	{"of_iommu_configure", 0, LA_LOCK_DEV_MUTEX},
	{"acpi_iommu_configure_id", 0, LA_LOCK_DEV_MUTEX},
	{"iommu_probe_device", 0, LA_LOCK_DEV_MUTEX},
	{"iommu_fwspec_init", 0, LA_LOCK_DEV_MUTEX},
	{"dev_iommu_get", 0, LA_LOCK_DEV_MUTEX},
	{"pci_dma_configure", 0, LA_LOCK_DEV_MUTEX},
	{"platform_dma_configure", 0, LA_LOCK_DEV_MUTEX},
	{"amba_dma_configure", 0, LA_LOCK_DEV_MUTEX},
	{"fsl_mc_dma_configure", 0, LA_LOCK_DEV_MUTEX},
	{"cdx_dma_configure", 0, LA_LOCK_DEV_MUTEX},
	{"host1x_dma_configure", 0, LA_LOCK_DEV_MUTEX},
};
const size_t la_watch_list_len =
	sizeof(la_watch_list) / sizeof(la_watch_list[0]);

_Static_assert(sizeof(la_watch_list) / sizeof(la_watch_list[0]) <= LA_MAX_HOOKS,
	       "watch list larger than the BPF program slots");

const struct la_hook_def *hooks__def(const char *func)
{
	size_t i;

	for (i = 0; i < la_watch_list_len; i++)
		if (!strcmp(func, la_watch_list[i].func))
			return &la_watch_list[i];
	return NULL;
}

int hooks__select(struct la_hooks *h, const char *list, char *err,
		  size_t errlen)
{
	char buf[1024], *tok, *save = NULL;
	size_t i;

	memset(h, 0, sizeof(*h));
	memset(&h->maps, -1, sizeof(h->maps));
	if (!list || !strcmp(list, "all")) {
		for (i = 0; i < la_watch_list_len; i++)
			h->hook[h->nr++].def = &la_watch_list[i];
		return 0;
	}
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "hook list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct la_hook_def *def = hooks__def(tok);

		if (!def) {
			snprintf(err, errlen,
				 "unknown hook '%s' (see 'lockaudit probes' "
				 "for the watch list)",
				 tok);
			return -ENOENT;
		}
		for (i = 0; i < h->nr; i++)
			if (h->hook[i].def == def)
				break;
		if (i == h->nr)
			h->hook[h->nr++].def = def;
	}
	if (!h->nr) {
		snprintf(err, errlen, "empty hook list");
		return -EINVAL;
	}
	return 0;
}
