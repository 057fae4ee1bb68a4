// SPDX-License-Identifier: GPL-2.0
/* attribute.c - from a symbolized stack to the code responsible for a call */
#include <stdio.h>
#include <string.h>

#include "attribute.h"

/*
 * Frames that only pass a call along: IOMMU core, OF/ACPI DMA glue, bus
 * dma_configure ops, the driver core and bus notifiers. The culprit is the
 * first frame above the entry point that is not one of these.
 */
static const char *const generic_frames[] = {
	/* OF / ACPI DMA and IOMMU glue */
	"of_dma_configure_id",
	"of_dma_configure",
	"of_iommu_configure",
	"of_iommu_xlate",
	"of_pci_iommu_init",
	"of_iommu_configure_dev_id",
	"of_iommu_configure_device",
	"acpi_dma_configure_id",
	"acpi_dma_configure",
	"acpi_iommu_configure_id",
	"iort_iommu_configure_id",
	"viot_iommu_configure",
	/* IOMMU core */
	"iommu_probe_device",
	"__iommu_probe_device",
	"iommu_init_device",
	"iommu_fwspec_init",
	"dev_iommu_get",
	"iommu_bus_notifier",
	"bus_iommu_probe",
	"probe_iommu_group",
	"iommu_device_register",
	/* bus dma_configure ops */
	"pci_dma_configure",
	"platform_dma_configure",
	"amba_dma_configure",
	"fsl_mc_dma_configure",
	"cdx_dma_configure",
	"host1x_dma_configure",
	/* driver core */
	"really_probe",
	"__driver_probe_device",
	"driver_probe_device",
	"__driver_attach",
	"__driver_attach_async_helper",
	"__device_attach_driver",
	"__device_attach",
	"__device_attach_async_helper",
	"device_initial_probe",
	"device_attach",
	"device_driver_attach",
	"bus_for_each_drv",
	"bus_for_each_dev",
	"bus_probe_device",
	"driver_attach",
	"bus_add_driver",
	"driver_register",
	"device_add",
	"device_register",
	"bind_store",
	"drivers_probe_store",
	"__pci_register_driver",
	"__platform_driver_register",
	"pci_bus_add_device",
	"pci_bus_add_devices",
	/* notifier chains */
	"notifier_call_chain",
	"blocking_notifier_call_chain",
	"bus_notify",
};

/*
 * IOMMU-core origins: below the entry point, with no really_probe between,
 * the call comes from the core's own probing. Outermost match names the path.
 */
static const struct {
	const char *func;
	const char *path;
} core_origins[] = {
	{"iommu_bus_notifier", "device add (iommu_bus_notifier)"},
	{"bus_iommu_probe", "IOMMU registration (bus_iommu_probe)"},
	{"probe_iommu_group", "IOMMU registration (probe_iommu_group)"},
	{"iommu_device_register", "IOMMU registration (iommu_device_register)"},
	{"__iommu_probe_device", "IOMMU probe (__iommu_probe_device)"},
	{"iommu_probe_device", "IOMMU probe (iommu_probe_device)"},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *la_frame_func(const char *frame, char *buf, size_t len)
{
	size_t n = strcspn(frame, "+ ");

	if (!strncmp(frame, "0x", 2) || n >= len)
		n = 0;
	memcpy(buf, frame, n);
	buf[n] = 0;
	return buf;
}

const char *la_frame_module(const char *frame, char *buf, size_t len)
{
	const char *lb = strchr(frame, '[');
	size_t n;

	if (!lb) {
		snprintf(buf, len, "%s",
			 strncmp(frame, "0x", 2) ? "vmlinux" : "");
		return buf;
	}
	lb++;
	n = strcspn(lb, "]");
	if (n >= len)
		n = len - 1;
	memcpy(buf, lb, n);
	buf[n] = 0;
	return buf;
}

static bool in_list(const char *func, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(func, list[i]))
			return true;
	return false;
}

bool la_frame_is_bpf(const char *frame)
{
	char mod[64];

	return !strncmp(frame, "bpf_prog_", 9) ||
	       !strncmp(frame, "bpf_trampoline_", 15) ||
	       !strcmp(la_frame_module(frame, mod, sizeof(mod)), "bpf");
}

const char *la_group_name(enum la_group g)
{
	switch (g) {
	case LA_GROUP_DRIVER:
		return "driver";
	case LA_GROUP_CORE:
		return "core";
	default:
		return "unclassified";
	}
}

enum la_severity la_severity(enum la_group g, int state, bool registered,
			     int probe_lock)
{
	if (state == 0) /* LA_HELD */
		return LA_SEV_NONE;
	/* the core configuring a device while another task holds its lock
	 * (a driver binding it): the race fixed upstream in 2025 for the
	 * platform and fsl-mc buses. Unlocked with nobody holding: by design */
	if (g == LA_GROUP_CORE)
		return state == 2 /* LA_HELD_OTHER */ ? LA_SEV_HIGH
						      : LA_SEV_INFO;
	if (!registered)
		return LA_SEV_LOW;
	return probe_lock == 1 ? LA_SEV_MEDIUM : LA_SEV_HIGH;
}

const char *la_severity_name(enum la_severity s)
{
	static const char *const names[] = {"none", "info", "low", "medium",
					    "high"};

	return s <= LA_SEV_HIGH ? names[s] : "?";
}

void la_attribute(const char *entry, char *const *frames, size_t n,
		  struct la_attr *out)
{
	char func[128];
	size_t i, start;
	int origin = -1;

	out->group = LA_GROUP_UNCLASSIFIED;
	out->core_path = NULL;
	out->culprit = -1;

	/* BPF program and trampoline frames (fentry), unknown addresses */
	for (start = 0; start < n && (la_frame_is_bpf(frames[start]) ||
				      !strncmp(frames[start], "0x", 2));
	     start++)
		;
	out->first = (int)start;
	/* the hooked function itself (kprobe stacks start there) */
	while (start < n &&
	       !strcmp(la_frame_func(frames[start], func, sizeof(func)), entry))
		start++;

	/* core path: a core origin with no really_probe nearer the entry */
	for (i = start; i < n; i++) {
		size_t k;

		if (la_frame_is_bpf(frames[i]))
			continue;
		la_frame_func(frames[i], func, sizeof(func));
		if (!strcmp(func, "really_probe"))
			break;
		for (k = 0; k < ARRAY_SIZE(core_origins); k++) {
			if (strcmp(func, core_origins[k].func))
				continue;
			/* earlier table entries are the more specific origin */
			if (origin < 0 || (int)k < origin)
				origin = (int)k;
		}
	}
	if (origin >= 0) {
		out->group = LA_GROUP_CORE;
		out->core_path = core_origins[origin].path;
		return;
	}

	for (i = start; i < n; i++) {
		if (la_frame_is_bpf(frames[i]))
			continue; /* a nested watched call's trampoline */
		la_frame_func(frames[i], func, sizeof(func));
		if (!func[0])
			break; /* unknown address: cannot tell who called */
		if (in_list(func, generic_frames, ARRAY_SIZE(generic_frames)))
			continue;
		out->group = LA_GROUP_DRIVER;
		out->culprit = (int)i;
		return;
	}
}

const char *la_attribute_pass_frame(size_t i)
{
	return i < ARRAY_SIZE(generic_frames) ? generic_frames[i] : NULL;
}

bool la_attribute_core_origin(size_t i, const char **func, const char **path)
{
	if (i >= ARRAY_SIZE(core_origins))
		return false;
	*func = core_origins[i].func;
	*path = core_origins[i].path;
	return true;
}
