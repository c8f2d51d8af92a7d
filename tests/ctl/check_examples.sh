#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every etc/*.conf.example must pass `genkand --check` as shipped, except
# for what an operator has to fill in: a WireGuard example's key file path
# and the peer's public key (fresh ones from `genkanctl wg genkey`).
# Usage: check_examples.sh GENKAND GENKANCTL ETC_DIR
set -u
gkd=$1 gkctl=$2 etc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077

"$gkctl" wg genkey >"$tmp/wg.key" || { echo "FAIL: wg genkey"; exit 1; }
pub=$("$gkctl" wg genkey | "$gkctl" wg pubkey) || { echo "FAIL: wg pubkey"; exit 1; }

fails=0 n=0
for f in "$etc"/*.conf.example; do
	n=$((n + 1))
	sed -e "s|/etc/genkan/wg.key|$tmp/wg.key|" \
	    -e "s|REPLACE_WITH_THE_[A-Z]*_PUBLIC_KEY|$pub|" "$f" >"$tmp/c.conf"
	if out=$("$gkd" -c "$tmp/c.conf" --check 2>&1); then
		echo "PASS: $(basename "$f"): $out"
	else
		echo "FAIL: $(basename "$f"): $out"
		fails=$((fails + 1))
	fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no examples under $etc"; exit 1; }
exit $((fails > 0))
