/*
 * step_plugins.c - the built-in step plugins (local command, inline
 * script, flow control, export of a variable) and job references, which
 * run another job as a child execution.
 */
#include <stdlib.h>
#include <string.h>

#include "argstring.h"
#include "internal.h"
#include "options.h"

/* ---- built-in step plugins -------------------------------------------------- */

static const char *plugin_text(struct step_run *run, const char *key, struct strbuf *out)
{
	const char *raw = step_config_text(run->step->plugin_config, key);

	sb_reset(out);
	if (!raw)
		return NULL;
	vars_expand_text(&run->ex->vars, raw, out);
	return sb_str(out);
}

/* flow-control: halt the workflow, successfully or not. */
static void run_flow_control(struct step_run *run)
{
	struct strbuf status = STRBUF_INIT;
	bool halt = step_config_bool(run->step->plugin_config, "halt");
	bool fail = step_config_bool(run->step->plugin_config, "fail");
	const char *custom = plugin_text(run, "status", &status);

	if (!halt) {
		step_complete(run, true, 0, NULL, NULL);
	} else if (fail) {
		exec_note(run->ex, "flow control: halt%s%s", custom ? " with status " : "",
			  custom ? custom : "");
		run->ex->halted = true;
		step_complete(run, false, 1, "FlowControlHalt", "halted by the flow-control step");
	} else {
		exec_note(run->ex, "flow control: halt with success");
		run->ex->halted = true;
		step_complete(run, true, 0, NULL, NULL);
	}
	sb_release(&status);
}

/* export-var: set ${export.NAME} (and ${globals.NAME}) for later steps. */
static void run_export_var(struct step_run *run)
{
	struct strbuf name = STRBUF_INIT, value = STRBUF_INIT, group = STRBUF_INIT;
	const char *export = plugin_text(run, "export", &name);
	const char *val = plugin_text(run, "value", &value);
	const char *grp = plugin_text(run, "group", &group);

	if (!export || !*export) {
		step_complete(run, false, -1, "ConfigurationFailure",
			 "export-var needs an 'export' setting: the variable's name");
	} else {
		char *key = xasprintf("%s.%s", grp && *grp ? grp : "export", export);
		char *global = xasprintf("globals.%s", export);

		vars_set(&run->ex->vars, key, val ? val : "");
		vars_set(&run->ex->vars, global, val ? val : "");
		free(key);
		free(global);
		step_complete(run, true, 0, NULL, NULL);
	}
	sb_release(&name);
	sb_release(&value);
	sb_release(&group);
}

void step_run_plugin(struct step_run *run)
{
	const char *type = run->step->plugin_type;
	struct strbuf text = STRBUF_INIT;

	if (!strcmp(type, "localexec") || !strcmp(type, "exec-command")) {
		const char *cmd = plugin_text(run, !strcmp(type, "localexec") ? "command"
									 : "adhocRemoteString",
					      &text);

		if (cmd)
			step_start_exec(run, step_config_text(run->step->plugin_config,
						    !strcmp(type, "localexec") ? "command"
									       : "adhocRemoteString"));
		else
			step_complete(run, false, -1, "ConfigurationFailure",
				 "the step plugin has no command to run");
	} else if (!strcmp(type, "script-inline")) {
		const char *body = step_config_text(run->step->plugin_config, "adhocLocalString");

		if (body)
			step_start_inline_script(run, body);
		else
			step_complete(run, false, -1, "ConfigurationFailure",
				 "script-inline needs an 'adhocLocalString' setting");
	} else if (!strcmp(type, "flow-control")) {
		run_flow_control(run);
	} else if (!strcmp(type, "export-var")) {
		run_export_var(run);
	} else {
		char *message = xasprintf(
			"unknown step plugin type '%s': jobfs runs exec, script, scriptfile, "
			"scripturl, jobref and the plugins localexec, exec-command, script-inline, "
			"flow-control and export-var; change the step, then resume",
			type);

		exec_note(run->ex, "%s", message);
		step_complete(run, false, -1, "PluginNotFound", message);
		free(message);
	}
	sb_release(&text);
}

/* ---- job references ------------------------------------------------------------ */

static struct catalog_job *find_referenced(struct execution *ex, const struct jobref *ref,
					   struct jf_error *err)
{
	struct engine *eng = ex->eng;
	struct catalog_job *cj = NULL;
	struct strbuf name = STRBUF_INIT, group = STRBUF_INIT;

	if (!ref->use_name && ref->uuid) {
		cj = catalog_find_uuid(eng, ref->uuid);
		if (!cj)
			jf_fail(err, JF_NOT_FOUND, "job reference: no job with uuid '%s'", ref->uuid);
		return cj;
	}
	vars_expand_text(&ex->vars, ref->name ? ref->name : "", &name);
	vars_expand_text(&ex->vars, ref->group ? ref->group : "", &group);
	cj = catalog_find_path(eng, sb_str(&group), sb_str(&name));
	if (!cj && ref->uuid)
		cj = catalog_find_uuid(eng, ref->uuid);
	if (!cj)
		jf_fail(err, JF_NOT_FOUND, "job reference: no job '%s%s%s'", sb_str(&group),
			group.len ? "/" : "", sb_str(&name));
	sb_release(&name);
	sb_release(&group);
	return cj;
}

static int check_cycle(struct execution *ex, const struct job *target, struct jf_error *err)
{
	struct strbuf chain = STRBUF_INIT;
	bool cycle = false;

	for (struct execution *e = ex; e; e = e->parent)
		cycle |= !strcmp(e->job->uuid, target->uuid);
	if (!cycle && ex->depth < 32)
		return 0;
	for (struct execution *e = ex; e; e = e->parent) {
		char *path = job_path(e->job);

		sb_addf(&chain, "%s%s", chain.len ? " <- " : "", path);
		free(path);
	}
	{
		char *path = job_path(target);
		int rc = jf_fail(err, JF_INVALID,
				 "job reference cycle: '%s' is already running in the chain %s",
				 path, sb_str(&chain));

		free(path);
		sb_release(&chain);
		return rc;
	}
}

static int reference_options(struct execution *ex, const struct jobref *ref,
			     const struct job *target, json_t **values, struct jf_error *err)
{
	struct arg_list words = ARG_LIST_INIT;
	json_t *requested = NULL;
	int rc;

	if (args_split(ref->args ? ref->args : "", &words, err))
		return err->code;
	for (size_t i = 0; i < words.len; i++) {
		struct strbuf expanded = STRBUF_INIT;

		vars_expand_text(&ex->vars, words.words[i].text, &expanded);
		free(words.words[i].text);
		words.words[i].text = sb_detach(&expanded, NULL);
	}
	rc = args_to_options(&words, &requested, err);
	args_release(&words);
	if (rc)
		return rc;
	if (ref->import_options) {
		for (size_t i = 0; i < target->n_options; i++) {
			const char *name = target->options[i].name;
			json_t *mine = json_object_get(ex->options, name);

			if (mine && !json_object_get(requested, name))
				json_object_set(requested, name, mine);
		}
	}
	rc = options_resolve(target, requested, values, err);
	json_decref(requested);
	return rc;
}

struct execution *jobref_start(struct execution *parent, struct step_run *run,
			       struct jf_error *err)
{
	struct engine *eng = parent->eng;
	const struct jobref *ref = &run->step->ref;
	struct catalog_job *cj = find_referenced(parent, ref, err);
	struct execution *child;
	json_t *values = NULL;
	struct step_state *s;

	if (!cj || check_cycle(parent, cj->job, err))
		return NULL;
	if (!cj->job->execution_enabled && ref->fail_on_disable) {
		jf_fail(err, JF_REFUSED, "job reference: '%s/%s' has execution disabled",
			cj->job->group, cj->job->name);
		return NULL;
	}
	if (reference_options(parent, ref, cj->job, &values, err))
		return NULL;
	child = exec_new(eng, cj->job, values);
	child->parent = parent;
	child->parent_run = run;
	child->depth = parent->depth + 1;
	child->rec.parent_id = parent->rec.id;
	if (exec_create(child, err)) {
		exec_free(child);
		return NULL;
	}
	eng->execs = xrealloc(eng->execs, (eng->n_execs + 1) * sizeof(*eng->execs));
	eng->execs[eng->n_execs++] = child;
	s = &parent->state->steps[run->index];
	if (!run->is_handler) {
		wf_state_free(s->sub);
		s->sub = wf_state_ref(child->state);
		s->sub_execution = child->rec.id;
	}
	exec_note(parent, "running job '%s/%s' as execution %lld", cj->job->group, cj->job->name,
		  (long long)child->rec.id);
	engine_notify(eng, child->rec.id, NOTIFY_EXECUTIONS);
	exec_begin(child);
	return child;
}

void jobref_finished(struct step_run *run, struct execution *child)
{
	bool ok = child->rec.status == ST_SUCCEEDED;
	char *message = ok ? NULL
			   : xasprintf("job '%s/%s' (execution %lld) ended %s", child->job->group,
				       child->job->name, (long long)child->rec.id,
				       exec_status_name(child->rec.status));

	run->child = NULL;
	step_complete(run, ok, ok ? 0 : 1, ok ? NULL : "JobFailed", message);
	free(message);
}

void step_start_jobref(struct step_run *run)
{
	struct jf_error err = JF_ERROR_INIT;

	run->child = jobref_start(run->ex, run, &err);
	if (!run->child) {
		exec_note(run->ex, "%s", err.message);
		step_complete(run, false, -1, err.code == JF_NOT_FOUND ? "NotFound" : "JobFailed",
			 err.message);
	}
}


