/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lowpoint: the lowest MemAvailable the watcher saw (it samples /proc/meminfo as it reads
 * the trace), when, and the modules in init then: where an OOM strikes, unlike the
 * report's moment. Also MemAvailable over time, for plot. Not an event: the watcher
 * hands it to report beside the accounting (state.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "account.h"

#define LOW_LOADING_MAX 160
/* MemAvailable over time, for plot: at most this many points, the lowest of each stride */
#define LOW_SERIES_MAX 512
struct low_point {
	uint64_t samples; /* 0: no watcher sampled */
	long long avail_kib;
	long long pcp_kib; /* free in the per-CPU page lists at the low (-1: unknown) */
	uint64_t ts_ns;	   /* CLOCK_MONOTONIC: the trace's clock, near enough */
	char loading[LOW_LOADING_MAX]; /* "a, b" of the windows open then */
	/* points kept; samples per point; samples in the open point */
	uint32_t nseries, stride, pending;
	struct {
		uint64_t ts_ns;
		int64_t kib;
	} series[LOW_SERIES_MAX];
};

/*
 * The watcher's sample of MemAvailable (@kib, -1: unknown) at @ts_ns: keeps the lowest,
 * with the loads of @a in init then, and adds it to the series. Returns true for a new
 * lowest, whose pcp_kib the caller then reads (-1 till it does).
 */
bool low_sample(struct low_point *l, const struct acct *a, long long kib, uint64_t ts_ns);
