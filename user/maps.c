// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - the maps user space holds of the BPF object, as one table: name
 * (also the pin file name), pinned order, fd slot in struct la_maps
 * (hooks.h)
 */
#include <stddef.h>

#include "hooks.h"

/*
 * The maps user space holds, in la_meta.map_ids[] order (part of the
 * pinned layout, pin.c): the name in the BPF object, which is also the file
 * name under a pin directory, and the slot in struct la_maps. meta's index
 * is PIN_META (pincheck.h).
 */
#define MAP(field) #field, offsetof(struct la_maps, field)
static const struct {
	const char *name;
	size_t fd; /* offset of the int in struct la_maps */
} map_tab[LA_META_MAPS] = {
	{MAP(races)},	{MAP(modgen)},	 {MAP(sites)}, {MAP(counters)},
	{MAP(events)},	{MAP(settings)}, {MAP(mods)},  {MAP(meta)},
	{MAP(callers)}, {MAP(symnames)},
};
#undef MAP

const char *hooks__map_name(size_t i)
{
	return i < LA_META_MAPS ? map_tab[i].name : NULL;
}

int *hooks__map_fd(struct la_maps *m, size_t i)
{
	return (int *)((char *)m + map_tab[i].fd);
}

const char *hooks__map(struct la_maps *m, size_t i, int **fd)
{
	if (i >= LA_META_MAPS)
		return NULL;
	*fd = hooks__map_fd(m, i);
	return map_tab[i].name;
}
