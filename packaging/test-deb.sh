#!/usr/bin/env bash
# Builds the Debian package, lints it, installs it, uses it, purges it, and checks that
# nothing is left behind. Needs root, cargo-deb, lintian and man-db:
#
#     cargo install --locked cargo-deb && apt-get install lintian man-db
#     sudo packaging/test-deb.sh
#
# It refuses to run where ecosystemd is already installed: it would purge it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Lintian warnings that stay, each explained in README.md ("Lintian"). Any other
# warning, and any error, fails the run.
EXPLAINED_WARNINGS=(
  initial-upload-closes-no-bugs
)

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'test-deb: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: the package is installed and purged"
for tool in cargo-deb lintian man dpkg zsh fish; do
  command -v "$tool" >/dev/null || fail "$tool is missing (cargo install --locked cargo-deb; apt-get install lintian man-db zsh fish)"
done
case "$(dpkg-query -W -f='${Status}' ecosystemd 2>/dev/null || true)" in
  "" | "unknown ok not-installed") ;;
  *) fail "ecosystemd is installed (or its conffiles are) on this machine; this test would purge it" ;;
esac

# An empty /etc/ecosystemd (the systemd sandbox of the tests creates it as a mount point)
# is removed, so that the purge can be seen to remove it. Files already in it are not the
# package's: they must still be there, and nothing else, after the purge.
rmdir /etc/ecosystemd 2>/dev/null || true

# The units the package ships: those in units/, if any.
shipped=""
if [ -d units ]; then
  shipped=$(find units -maxdepth 1 -type f \( -name '*.service' -o -name '*.timer' -o -name '*.path' -o -name '*.socket' \) -printf '%f\n' | sort | tr '\n' ' ')
fi

step "build"
cargo xtask deb
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
target_dir=${CARGO_TARGET_DIR:-target}
deb="$target_dir/debian/ecosystemd_${version}-1_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "cargo deb wrote no $deb"
echo "package: $deb ($(stat -c %s "$deb") bytes)"

step "lintian"
lintian_out=$(lintian --fail-on none "$deb" 2>&1 | grep -v '^running with root privileges' || true)
printf '%s\n' "$lintian_out"
if grep -q '^E:' <<<"$lintian_out"; then
  fail "lintian reports errors"
fi
while read -r tag; do
  [ -n "$tag" ] || continue
  printf '%s\n' "${EXPLAINED_WARNINGS[@]}" | grep -qx "$tag" ||
    fail "lintian warning $tag is neither fixed nor explained in README.md"
done < <(sed -n 's/^W: [^ ]* \([^ ]*\).*/\1/p' <<<"$lintian_out" | sort -u)

# Everything below /etc, /usr and /var/lib before installing: compared after the purge.
# /etc/ecosystemd and /var/lib/unit-watchdog are checked on their own: the tests' systemd
# sandboxes may have created them.
snapshot() {
  find /etc /usr /var/lib -xdev \( -path /etc/ecosystemd -o -path /var/lib/unit-watchdog \) -prune -o \
    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/man-db -o -path /var/lib/systemd/timers \
       -o -path /var/lib/systemd/coredump -o -path /var/lib/systemd/catalog -o -path /etc/ld.so.cache \) -prune \
    -o -print | sort
}
before=$(mktemp)
after=$(mktemp)
work=$(mktemp -d)
installed=no
cleanup() {
  rm -rf "$before" "$after" "$work"
  # A failed run leaves no package behind.
  if [ "$installed" = yes ] && dpkg-query -W ecosystemd >/dev/null 2>&1; then
    dpkg -P ecosystemd >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
snapshot >"$before"
# (A missing folder is an empty list, not a failure.)
etc_before=$(find /etc/ecosystemd 2>/dev/null | sort || true)

step "install"
installed=yes
dpkg -i "$deb"
dpkg-query -W -f='${Status}\n' ecosystemd | grep -q '^install ok installed$' || fail "not installed"

step "files"
packaged=$(dpkg -L ecosystemd)
while read -r path; do
  [ -e "$path" ] || [ -L "$path" ] || fail "$path is listed by dpkg -L but missing"
done <<<"$packaged"
for path in /usr/bin/gen-units /usr/bin/unit-watchdog \
  /usr/share/man/man1/gen-units.1.gz /usr/share/man/man1/unit-watchdog.1.gz \
  /usr/share/bash-completion/completions/gen-units /usr/share/bash-completion/completions/unit-watchdog \
  /usr/share/zsh/vendor-completions/_gen-units /usr/share/fish/vendor_completions.d/gen-units.fish \
  /usr/share/doc/ecosystemd/copyright /usr/share/doc/ecosystemd/changelog.Debian.gz \
  /etc/ecosystemd/ecosystem.yaml.example /usr/lib/ecosystemd/preload.cjs \
  /usr/share/ecosystemd/grafana-dashboard.json; do
  grep -qx "$path" <<<"$packaged" || fail "$path is not in the package"
done
cmp preload/ecosystemd.cjs /usr/lib/ecosystemd/preload.cjs || fail "the packaged preload differs from preload/ecosystemd.cjs"
# The Ansible collection, file for file.
while read -r file; do
  cmp "$file" "/usr/share/ecosystemd/$file" || fail "/usr/share/ecosystemd/$file differs from $file"
done < <(find ansible -type f ! -path '*/__pycache__/*')
cmp packaging/grafana/ecosystemd-units.json /usr/share/ecosystemd/grafana-dashboard.json ||
  fail "the packaged Grafana dashboard differs from packaging/grafana/ecosystemd-units.json"
for unit in $shipped; do
  grep -qx "/usr/lib/systemd/system/$unit" <<<"$packaged" || fail "unit $unit is not in the package"
  cmp "units/$unit" "/usr/lib/systemd/system/$unit" || fail "installed $unit differs from units/$unit"
done
for script in postinst prerm postrm; do
  named=$(sed -n 's/^UNITS="\(.*\)"$/\1/p' "/var/lib/dpkg/info/ecosystemd.$script" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
  [ "$named" = "$shipped" ] || fail "the $script names units '$named' but the package ships '$shipped'"
done
generator=/usr/lib/systemd/system-generators/ecosystemd-generator
[ "$(readlink -f "$generator")" = /usr/bin/gen-units ] || fail "$generator does not lead to /usr/bin/gen-units"
dpkg-query -W -f='${Conffiles}\n' ecosystemd | grep -q '/etc/ecosystemd/ecosystem.yaml.example' ||
  fail "the example is not a conffile"
first_entry=$(zcat /usr/share/doc/ecosystemd/changelog.Debian.gz | sed -n 1p)
grep -q "^ecosystemd ($version-1)" <<<"$first_entry" ||
  fail "the changelog's first entry is not version $version-1"

step "binaries"
for binary in gen-units unit-watchdog; do
  printed=$("$binary" --version) || fail "$binary --version fails"
  echo "$printed"
  [ "$printed" = "$binary $version" ] || fail "$binary --version prints '$printed', not '$binary $version'"
done

step "man pages"
for page in gen-units unit-watchdog; do
  man -w "$page" | grep -qx "/usr/share/man/man1/$page.1.gz" || fail "man -w $page"
  rendered=$(MANWIDTH=80 man -P cat "$page" 2>/dev/null) || fail "man $page"
  grep -q '^NAME' <<<"$rendered" || fail "man $page has no NAME section"
  grep -q '^SYNOPSIS' <<<"$rendered" || fail "man $page has no SYNOPSIS section"
  # groff's warnings go to stderr; the page's own text may well say "warning".
  warnings=$(MANWIDTH=80 man --warnings=all -P cat "$page" 2>&1 >/dev/null) || fail "man $page"
  if [ -n "$warnings" ]; then
    printf '%s\n' "$warnings" >&2
    fail "man $page renders with warnings"
  fi
  echo "man $page: $(wc -l <<<"$rendered") lines"
done

step "completions"
# Each shell loads them from where the package put them, as it would for a user.
for binary in gen-units unit-watchdog; do
  bash -c "source /usr/share/bash-completion/completions/$binary && complete -p $binary" ||
    fail "bash completion of $binary does not load"
  # zsh: compinit registers the function for the command; autoload +X parses it.
  zsh -fc "autoload -Uz compinit && compinit -u -d '$work/zcompdump' &&
    [[ \${_comps[$binary]} == _$binary ]] && autoload +X _$binary" ||
    fail "zsh completion of $binary does not load"
done
# fish: its completions for a partial command line list the options. The output is read
# whole before grep looks at it: `grep -q` stops reading at its first match, and fish,
# still writing, would die of SIGPIPE and fail the pipeline (pipefail).
offered=$(fish -c "complete -C 'gen-units --'") || fail "fish cannot complete gen-units"
grep -q -- '^--user' <<<"$offered" || fail "fish completion of gen-units does not offer --user"
offered=$(fish -c "complete -C 'unit-watchdog report --'") ||
  fail "fish cannot complete unit-watchdog report"
grep -q -- '^--format' <<<"$offered" ||
  fail "fish completion of unit-watchdog report does not offer --format"
echo "bash, zsh and fish load the completions"

step "use"
# The installed binary converts a PM2 file and reads the installed example.
gen-units import tests/corpus/commented.json -o "$work/imported.yaml" || fail "gen-units import"
grep -q '^  - name: billing$' "$work/imported.yaml" || fail "the imported file lacks its app"
cp /etc/ecosystemd/ecosystem.yaml.example "$work/example.yaml"
gen-units import "$work/example.yaml" >"$work/example-imported.yaml" || fail "gen-units import of the example"
grep -q 'name: nightly-report' "$work/example-imported.yaml" || fail "the example lost an app"
# The example's scripts (/srv/api, /srv/jobs) are not on this host: on it, check names
# them as missing; rendered for the host it describes (--portable), it is accepted.
if gen-units check "$work/example.yaml" 2>"$work/check.err"; then
  fail "gen-units check accepts scripts that do not exist"
fi
grep -q 'script `/srv/api/server.js` not found' "$work/check.err" ||
  fail "gen-units check does not name the missing script"
gen-units check --portable "$work/example.yaml" || fail "gen-units check --portable rejects the shipped example"
# The imported corpus file's server.js is not on this host either.
gen-units check --portable "$work/imported.yaml" || fail "gen-units check rejects an imported file"
gen-units --portable "$work/example.yaml" >"$work/example.bundle" || fail "gen-units does not render the shipped example"
grep -q '^\[Service\]$' "$work/example.bundle" || fail "the shipped example renders no service"
# The generator link renders /etc/ecosystemd/*.yaml, and skips the example's name.
mkdir "$work/generated"
"$generator" "$work/generated" "$work/generated" "$work/generated" || fail "the generator fails"
[ -z "$(ls -A "$work/generated")" ] || fail "the generator rendered the example or something else"
cp /etc/ecosystemd/ecosystem.yaml.example /etc/ecosystemd/debtest.yaml
"$generator" "$work/generated" "$work/generated" "$work/generated" || fail "the generator fails on an ecosystem"
rm /etc/ecosystemd/debtest.yaml
[ -f "$work/generated/debtest-api.service" ] || fail "the generator did not render debtest-api.service"
grep -q '^SourcePath=/etc/ecosystemd/debtest.yaml$' "$work/generated/debtest-api.service" ||
  fail "the generated unit does not name its source"

step "remove, then purge"
dpkg -r ecosystemd
[ -f /etc/ecosystemd/ecosystem.yaml.example ] || fail "remove deleted a conffile"
[ ! -e /usr/bin/gen-units ] || fail "remove left /usr/bin/gen-units"
mkdir -p /var/lib/unit-watchdog && echo '{}' >/var/lib/unit-watchdog/state.json
dpkg -P ecosystemd
if dpkg-query -W ecosystemd >/dev/null 2>&1; then fail "dpkg still knows ecosystemd after purge"; fi
while read -r path; do
  [ "$path" != /etc/ecosystemd ] || continue # checked below
  if [ -e "$path" ] || [ -L "$path" ]; then
    grep -qx "$path" "$before" || fail "$path is left after purge"
  fi
done <<<"$packaged"
etc_after=$(find /etc/ecosystemd 2>/dev/null | sort || true)
if [ -z "$etc_before" ]; then
  [ -z "$etc_after" ] || fail "/etc/ecosystemd is left after purge: $etc_after"
else
  echo "note: /etc/ecosystemd held files before the test; they must be all that is left"
  [ "$etc_after" = "$etc_before" ] || fail "/etc/ecosystemd after purge differs from before"
fi
[ ! -e /var/lib/unit-watchdog ] || fail "/var/lib/unit-watchdog is left after purge"
snapshot >"$after"
if ! diff "$before" "$after"; then
  fail "install and purge changed the files above"
fi

echo
echo "test-deb: the package builds, lints, installs, works and purges cleanly"
