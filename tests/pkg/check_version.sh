#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# debian/changelog's top entry is meson.build's project version (a native
# package: the same string, no Debian revision), for source package genkan.
# usage: check_version.sh SOURCE_ROOT MESON_VERSION
set -u
src=$1 want=$2
cl=$src/debian/changelog
fail=0
if ! got=$(dpkg-parsechangelog -l "$cl" -S Version 2>&1); then
	echo "FAIL: dpkg-parsechangelog $cl: $got"
	exit 1
fi
if [ "$got" = "$want" ]; then
	echo "PASS: debian/changelog version $got = meson project version"
else
	echo "FAIL: debian/changelog version '$got', meson.build's project version '$want'"
	fail=1
fi
name=$(dpkg-parsechangelog -l "$cl" -S Source)
ctl=$(sed -n 's/^Source: *//p' "$src/debian/control")
if [ "$name" = genkan ] && [ "$ctl" = genkan ]; then
	echo "PASS: source package genkan (changelog and control)"
else
	echo "FAIL: source package: changelog '$name', control '$ctl', want genkan"
	fail=1
fi
exit "$fail"
