#!/usr/bin/env bash
# Install the Debian 12 packages genkan needs to build, test, bench and run its lab.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

PKGS=(
	# build
	build-essential meson ninja-build pkg-config
	clang llvm bpftool
	libclang-rt-14-dev	# libFuzzer + ASan/UBSan runtimes: make fuzz, build-fuzz (issue #13)
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	liburcu-dev libmnl-dev libjansson-dev libpcap-dev
	libmicrohttpd-dev	# [metrics]: Prometheus exposition (issue #15)
	libssl-dev libipsec-mb-dev
	# tests
	libcmocka-dev python3 python3-scapy python3-cryptography
	# lab, e2e tests and bench peers
	iproute2 iputils-ping iperf3 curl tcpdump procps ethtool util-linux jq
	dpdk-dev dpdk dpdk-doc	# DPDK backend (libdpdk); dpdk-testpmd, l3fwd sources for the bench (issue #14)
	wireguard-tools wireguard-go	# WireGuard interop oracle (issue #5)
	nginx-light socat openssl	# front door e2e: real HTTPS and UDP servers (issue #11)
	# front door bench (issue #12): load, the stacks it replaces, the chart
	wrk haproxy libnginx-mod-stream nftables gnuplot-nox
	systemd		# systemd-analyze verify of etc/genkand@.service (issue #13)
	prometheus	# e2e_metrics scrapes genkand; promtool checks the text (issue #15)
	scdoc bash-completion	# man pages from docs/man/*.scd; genkanctl completion (issue #15)
	debhelper dpkg-dev fakeroot lintian binutils man-db	# make deb, tests/pkg (issue #15)
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
