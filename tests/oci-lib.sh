# Sourced by the integration scripts that drive runsc's OCI commands on bundles of their own
# (oci, exec, mounts, security, tty), after tests/lib.sh and after setting STATE, the --root of
# every runsc call they make.

# runsc with the test's flags and the script's own state directory, under the timeout.
oci() {
	local flags
	read -ra flags <<<"$RUNSC_FLAGS"
	t_timeout "$RUNSC" "${flags[@]}" --root "$STATE" "$@"
}

# Takes down every container under STATE: a failed test may leave one.
oci_delete_all() {
	local id
	for id in $(oci list -q 2>/dev/null); do
		oci delete --force "$id" >/dev/null 2>&1
	done
}

# lib.sh's exit trap calls it; a script with more to undo defines its own after sourcing this.
# shellcheck disable=SC2317
t_on_exit() {
	oci_delete_all
}

# Live host processes whose name matches GLOB (default runsc-*: the sandbox's processes) and
# that carry this script's CVISOR_OCI_TEST_TAG in their environment, sorted. Builtins only:
# forks are slow on a loaded host, and this runs in loops. Zombies hold nothing but their
# number, and reaping them is their parent's business.
runsc_pids() {
	local glob=${1:-runsc-*} d name stat env
	for d in /proc/[0-9]*; do
		name=
		read -r name 2>/dev/null <"$d/comm"
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $name == $glob ]] || continue
		stat=
		read -r stat 2>/dev/null <"$d/stat"
		[[ ${stat##*) } == Z* ]] && continue
		env=()
		mapfile -d '' -t env 2>/dev/null <"$d/environ"
		[[ " ${env[*]} " == *" CVISOR_OCI_TEST_TAG=$CVISOR_OCI_TEST_TAG "* ]] && echo "${d#/proc/}"
	done | sort
}

# Writes $BUNDLE/config.json: runsc spec's, with terminal off and process.args set to the
# arguments (JSON-quoted here: backslashes and double quotes escaped). With
# OCI_WRITABLE_ROOT=yes, root.readonly is false (tests that want it read-only say so).
write_config() {
	local args='' a line
	for a in "$@"; do
		a=${a//\\/\\\\}
		args+="${args:+, }\"${a//\"/\\\"}\""
	done
	rm -f "$BUNDLE/config.json"
	oci spec --bundle "$BUNDLE" || return 1
	while IFS= read -r line || [[ -n $line ]]; do
		case $line in
		$'\t\t\t"sh"') line=$'\t\t\t'$args ;;
		*'"terminal": true,') line=${line/true/false} ;;
		*'"readonly": true') [[ ${OCI_WRITABLE_ROOT:-} == yes ]] && line=${line/true/false} ;;
		esac
		printf '%s\n' "$line"
	done <"$BUNDLE/config.json" >"$T_TMP/config.json"
	mv "$T_TMP/config.json" "$BUNDLE/config.json"
}

# Edits config.json with sed expressions.
edit_config() {
	sed -i "$@" "$BUNDLE/config.json"
}
