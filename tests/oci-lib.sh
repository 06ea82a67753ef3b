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
