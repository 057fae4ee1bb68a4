# shellcheck shell=bash
# ---- lockaudit rules: syntax errors need no BPF and no particular kernel ---
# Every line of this file is a syntax error, so no rule reaches resolution
# and the output is the same on any kernel with BTF.

printf '%s\n' '# bad rules' 'foo device_lock_assert(dev)' \
	'bar: lockdep_assert_held(&dev->mutex' 'baz: frob(dev)' '@core nope' \
	>"$T/bad.rules"
run "$BIN" rules "$T/bad.rules"
want="$T/bad.rules:2:5: error: expected ':' after 'foo', not 'device_lock_assert'
$T/bad.rules:3:37: error: expected ')' after the argument of lockdep_assert_held, not end of line
$T/bad.rules:4:6: error: unknown assertion 'frob' (known: lockdep_assert_held, lockdep_assert_held_write, lockdep_assert_held_read, device_lock_assert, ASSERT_RTNL, mmap_assert_locked, mmap_assert_write_locked)
$T/bad.rules:5:7: error: expected the path's name in quotes after @core, not 'nope'
0 rules: 0 resolved, 0 absent from this kernel, 4 errors"
if [ "$rc" -ne 9 ]; then
	bad "rules: bad file exits 9" "exit $rc"
elif [ "$(cat "$ERR")" != "$want" ]; then
	bad "rules: bad file, every error with line:column" "$(diff <(echo "$want") "$ERR" | tr '\n' '|')"
elif [ -s "$OUT" ]; then
	bad "rules: bad file, nothing on stdout" "$(head -n 2 "$OUT")"
else
	ok "rules: bad file, exit 9, every error with line:column"
fi

run "$BIN" rules "$T/missing.rules" "$T/bad.rules"
if [ "$rc" -eq 9 ] && [ "$(head -n 1 "$ERR")" = "lockaudit: cannot read rule file '$T/missing.rules': No such file or directory" ] &&
	[ "$(tail -n 1 "$ERR")" = "0 rules: 0 resolved, 0 absent from this kernel, 5 errors" ]; then
	ok "rules: a missing file is named, the others still checked"
else
	bad "rules: a missing file is named, the others still checked" "exit $rc: $(tr '\n' '|' <"$ERR")"
fi

expect "rules --btf /nonexistent" 5 "cannot read BTF file '/nonexistent'" \
	"$BIN" rules --btf /nonexistent
expect "rules --help names the built-in file" 0 "<built-in>/iommu.rules" \
	"$BIN" rules --help

# ---- run/boot/probes --rules: the rule files are read first -------------
# (before outputs, capabilities and BTF: a bad rule file is said the same
# way on any machine)
run "$BIN" run --rules "$T/bad.rules" --json /nonexistent/dir/r.json
want="$T/bad.rules:2:5: error: expected ':' after 'foo', not 'device_lock_assert'
$T/bad.rules:3:37: error: expected ')' after the argument of lockdep_assert_held, not end of line
$T/bad.rules:4:6: error: unknown assertion 'frob' (known: lockdep_assert_held, lockdep_assert_held_write, lockdep_assert_held_read, device_lock_assert, ASSERT_RTNL, mmap_assert_locked, mmap_assert_write_locked)
$T/bad.rules:5:7: error: expected the path's name in quotes after @core, not 'nope'
lockaudit: $T/bad.rules: 4 errors in the rules"
if [ "$rc" -eq 9 ] && [ "$(cat "$ERR")" = "$want" ] && [ ! -s "$OUT" ]; then
	ok "run --rules bad file: exit 9, every error with line:column, before the output check"
else
	bad "run --rules bad file" "exit $rc: $(diff <(echo "$want") "$ERR" | tr '\n' '|')"
fi
expect "boot --rules missing file" 9 \
	"lockaudit: cannot read rule file '$T/missing.rules': No such file or directory" \
	"$BIN" boot --rules "$T/missing.rules"
printf '# nothing but comments\n\n' >"$T/empty.rules"
expect "probes --rules without a rule" 9 "lockaudit: $T/empty.rules: no rule in the rule file" \
	"$BIN" probes --rules "$T/empty.rules"
for i in $(seq 1 257); do echo "f$i: ASSERT_RTNL()"; done >"$T/many.rules"
expect "run --rules with 257 rules" 9 \
	"lockaudit: $T/many.rules:257: more than 256 rules in one run" \
	"$BIN" run --rules "$T/many.rules"
printf 'find_vma: mmap_assert_locked(mm)\nfind_vma: mmap_assert_write_locked(mm)\n' >"$T/two.rules"
expect "run --rules: --hooks selects among the rules' functions" 3 \
	"lockaudit: unknown hook 'acpi_dma_configure_id': no rule watches it" \
	"$BIN" run --rules "$T/two.rules" --hooks find_vma,acpi_dma_configure_id
many=()
for i in $(seq 1 17); do many+=(--rules "$T/two.rules"); done
expect "run with 17 --rules files" 2 "more than 16 --rules files" "$BIN" run "${many[@]}"
