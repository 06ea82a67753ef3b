/*
 * The field readers config.json's parsers share (runsc-cli/bundle.c defines them): each checks
 * one member's type and names it by its JSON path ("linux.seccomp.syscalls[2].action") in the
 * one-line error.
 */
#ifndef CVISOR_RUNSC_BUNDLE_JSON_H
#define CVISOR_RUNSC_BUNDLE_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "runsc-cli/error.h"

/* "an integer", "a string" ...: what o is, for messages. */
const char *type_name(json_object *o);
/* obj's member key of type want, in *out (NULL when absent or null and not required); path
 * names obj ("" for the top level). 0, or -1 with *err set. */
int member(json_object *obj, const char *path, const char *key, json_type want, bool required,
	   json_object **out, struct cli_error **err);
/* An integer member in [0, max]; *out untouched when absent and not required. */
int member_uint(json_object *obj, const char *path, const char *key, bool required, uint64_t max,
		uint64_t *out, struct cli_error **err);
int member_string(json_object *obj, const char *path, const char *key, bool required,
		  const char **out, struct cli_error **err);
/* An array of strings, NULL-terminated, pointing into the JSON (free the vector only). */
int member_strv(json_object *obj, const char *path, const char *key, bool required, bool nonempty,
		const char ***out, struct cli_error **err);

#endif
