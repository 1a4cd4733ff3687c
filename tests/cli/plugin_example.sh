#!/bin/sh
# The plugin author's path, as docs/PLUGINS.md tells it: install Petrel,
# build examples/plugin-hello out of tree against the installed header
# (found through the installed petrel-plugin.pc only), and have the
# installed petrel load it: `petrel plugins` lists it as active, and exits
# 1 when an enabled plugin is refused.
# usage: plugin_example.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d /tmp/petrel-plugin-example.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/petrel/plugin.h" || fail "header not installed"
pc="$tmp/prefix/share/pkgconfig"
cflags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags petrel-plugin)
case "$cflags" in
*"$src"*) fail "pkg-config points into the source tree: $cflags" ;;
esac

# A copy outside the source tree: nothing but the installed header.
cp -r "$src/examples/plugin-hello" "$tmp/hello"
PKG_CONFIG_PATH="$pc" make -s -C "$tmp/hello" || fail "example does not build"
mkdir -p "$tmp/plugins" "$tmp/data/_data_/_default_/configs"
cp "$tmp/hello/hello.so" "$tmp/plugins/"

ini="$tmp/data/_data_/_default_/configs/application.ini"
printf '[plugins]\nenable = On\nenabled_list = "hello"\n' >"$ini"
out=$(PETREL_PLUGINS="$tmp/plugins" "$tmp/prefix/bin/petrel" plugins \
	--data "$tmp/data" 2>&1) || fail "petrel plugins failed: $out"
echo "$out"
echo "$out" | grep -Eq '^hello +1\.0 +ABI 1\.[0-9]+ active$' || fail "hello not active"

# An enabled plugin that is not there is refused: exit 1, and says why.
printf '[plugins]\nenable = On\nenabled_list = "hello,missing"\n' >"$ini"
if out=$(PETREL_PLUGINS="$tmp/plugins" "$tmp/prefix/bin/petrel" plugins \
	--data "$tmp/data" 2>/dev/null); then
	fail "a refused plugin did not fail the command: $out"
fi
echo "$out" | grep -Eq '^missing +- +refused: ' || fail "no refusal line: $out"
echo "$out" | grep -Eq '^hello .* active$' || fail "hello not active: $out"
echo "ok"
