/*
 * snapshot.c - the sequence snapshot of a resumable execution, and its
 * comparison with the job's current sequence.
 *
 * Each top-level step is kept as what it is (its kind, the job it
 * references, its plugin type) and a fingerprint of its whole definition.
 * A changed fingerprint alone is an edit, which keeps the execution
 * resumable; anything else names the first step that changed.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static char *step_identity(const struct step *step)
{
	switch (step->kind) {
	case STEP_JOBREF:
		if (!step->ref.use_name && step->ref.uuid)
			return xasprintf("jobref %s", step->ref.uuid);
		return xasprintf("jobref %s%s%s", step->ref.group ? step->ref.group : "",
				 step->ref.group && *step->ref.group ? "/" : "",
				 step->ref.name ? step->ref.name : "");
	case STEP_PLUGIN:
		return xasprintf("plugin %s", step->plugin_type);
	default:
		return xstrdup(step_kind_name(step->kind));
	}
}

json_t *resume_snapshot(const struct job *job)
{
	json_t *list = json_array();

	for (size_t i = 0; i < job->n_steps; i++) {
		const struct step *step = &job->steps[i];
		char *text = json_dumps(step->map, JSON_COMPACT | JSON_SORT_KEYS);
		char *identity = step_identity(step);
		char fingerprint[24];

		snprintf(fingerprint, sizeof(fingerprint), "%016llx",
			 (unsigned long long)fnv1a(text ? text : ""));
		json_array_append_new(list, json_pack("{s:s, s:s}", "step", identity, "content",
						      fingerprint));
		free(identity);
		free(text);
	}
	return list;
}

static const char *snap_identity(const json_t *snapshot, size_t i)
{
	return json_string_value(json_object_get(json_array_get(snapshot, i), "step"));
}

static const char *snap_content(const json_t *snapshot, size_t i)
{
	return json_string_value(json_object_get(json_array_get(snapshot, i), "content"));
}

static bool same_step(const json_t *a, size_t i, const json_t *b, size_t k)
{
	const char *ia = snap_identity(a, i), *ib = snap_identity(b, k);

	return ia && ib && !strcmp(ia, ib);
}

static bool same_content(const json_t *a, size_t i, const json_t *b, size_t k)
{
	const char *ca = snap_content(a, i), *cb = snap_content(b, k);

	return ca && cb && !strcmp(ca, cb);
}

/*
 * Return the old position of new step i's content if the step moved there.
 * A move means the content was at another position k, and position k no
 * longer contains it. Otherwise step i was edited into a copy of step k,
 * which is allowed.
 */
static bool moved_from(const json_t *old, const json_t *cur, size_t i, size_t *from)
{
	if (same_content(old, i, cur, i))
		return false;
	for (size_t k = 0; k < json_array_size(old); k++) {
		if (k != i && same_content(old, k, cur, i) &&
		    !(k < json_array_size(cur) && same_content(old, k, cur, k))) {
			*from = k;
			return true;
		}
	}
	return false;
}

/* The first position below n where the steps differ in kind or content. */
static size_t first_difference(const json_t *old, const json_t *cur, size_t n)
{
	size_t i = 0;

	while (i < n && same_step(old, i, cur, i) && same_content(old, i, cur, i))
		i++;
	return i;
}

/* Return true if long_list is short_list with one step inserted at gap. */
static bool one_step_between(const json_t *long_list, const json_t *short_list, size_t gap)
{
	for (size_t k = gap; k < json_array_size(short_list); k++)
		if (!same_step(long_list, k + 1, short_list, k))
			return false;
	return true;
}

/* Explain a sequence that gained or lost exactly one step; false if it did not. */
static bool explain_count_change(const json_t *old, const json_t *cur, struct strbuf *why)
{
	size_t n_old = json_array_size(old), n_cur = json_array_size(cur);
	size_t gap = first_difference(old, cur, n_old < n_cur ? n_old : n_cur);

	if (n_cur == n_old + 1 && one_step_between(cur, old, gap)) {
		sb_addf(why, "step %zu was added: the job now has %zu steps, the execution had %zu",
			gap + 1, n_cur, n_old);
		return true;
	}
	if (n_old == n_cur + 1 && one_step_between(old, cur, gap)) {
		sb_addf(why, "step %zu was removed: the job now has %zu steps, the execution had %zu",
			gap + 1, n_cur, n_old);
		return true;
	}
	return false;
}

bool resume_snapshot_matches(const json_t *old, const struct job *job, struct strbuf *why)
{
	json_t *cur = resume_snapshot(job);
	size_t n_old = json_array_size(old), n_cur = json_array_size(cur);
	size_t n = n_old < n_cur ? n_old : n_cur, from;
	bool ok = true;

	if (n_old != n_cur && explain_count_change(old, cur, why))
		ok = false;

	for (size_t i = 0; i < n && ok; i++) {
		if (moved_from(old, cur, i, &from)) {
			sb_addf(why, "the steps were reordered: step %zu is now what was step %zu",
				i + 1, from + 1);
			ok = false;
		} else if (!same_step(old, i, cur, i)) {
			sb_addf(why, "step %zu was replaced: it was %s, it is now %s", i + 1,
				snap_identity(old, i), snap_identity(cur, i));
			ok = false;
		}
	}
	if (ok && n_cur > n_old) {
		sb_addf(why, "step %zu was added: the job now has %zu steps, the execution had %zu",
			n_old + 1, n_cur, n_old);
		ok = false;
	} else if (ok && n_cur < n_old) {
		sb_addf(why, "step %zu was removed: the job now has %zu steps, the execution had %zu",
			n_cur + 1, n_cur, n_old);
		ok = false;
	}
	json_decref(cur);
	return ok;
}

