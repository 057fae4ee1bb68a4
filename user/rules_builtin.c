// SPDX-License-Identifier: GPL-2.0
/*
 * rules_builtin.c - the built-in rule file: rules/iommu.rules, turned into
 * bytes at build time (the Makefile writes $(OUT)/iommu.rules.inc with od).
 */
#include "rules.h"

static const char iommu_rules[] = {
#include "iommu.rules.inc"
};

struct la_rule_file *rules__builtin(void)
{
	return rules__parse(LA_RULES_BUILTIN_NAME, iommu_rules,
			    sizeof(iommu_rules));
}
