/* SPDX-License-Identifier: GPL-2.0 */
/*
 * live.h - feedback while `run` watches: a per-driver table redrawn on a
 * terminal (--live), or one progress line per interval without one.
 */
#ifndef LA_LIVE_H
#define LA_LIVE_H

#include <stdbool.h>
#include <stdio.h>

struct la_report;
struct la_live;

/* tty: redraw a table in place; otherwise one line per frame. */
struct la_live *live__new(FILE *out, bool tty);
void live__free(struct la_live *l);

/* Draw one frame from a fresh snapshot; elapsed: seconds watched. */
void live__frame(struct la_live *l, const struct la_report *r, double elapsed);

#endif
