# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The front-door scenario (issue #12): what genkan is for, as one system.
# Sourced by lab/frontdoor.sh (`make demo`) and tests/e2e/e2e_frontdoor.sh,
# after tests/e2e/lib.sh. It defines the plan, the topology, the three
# gateways' configs (the ones etc/frontdoor-*.conf.example ship, with this
# run's keys, paths and names) and the servers.
#
#  cl: internet client      ir: internet router          fd: cloud front door (genkan)
#  198.51.100.2 ----------- 198.51.100.1 (kernel)        one NIC, workers = 1
#  + an internet web        203.0.113.1 ---------------- wan 203.0.113.2
#    server :8080           198.18.100.1 --.              [l4-service] 203.0.113.10:80,443,5201
#                                          |              [wireguard] :51820, Address 198.19.0.1/24
#                                          |
#  br: ISP BR (genkan)                     |
#  inet 198.18.100.2 ----------------------'
#  core 2001:db8:ff00::2 == rt (IPv6 only) == wan 2001:db8:ff01::2   ce: home CE (genkan)
#                                                MAP-E CE 192.0.2.18, PSID 0x34, 240 ports
#                                                NAPT44; [wireguard] ListenPort 4930 (in the set)
#                                                to the door, return_path = flow
#                                                lan 198.18.0.1/24 -- sw (a bridge)
#                                                     web 198.18.0.2: nginx HTTPS/HTTP, iperf3
#                                                     pc  198.18.0.3
#
# Kernel forwarding is off on fd, br and ce: genkan forwards everything.
# The non-genkan ends keep their default offloads (partial checksums).

FD_WORKERS=${FD_WORKERS:-1}
WORKERS=$FD_WORKERS
FD_ETC=${FD_ETC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../etc" && pwd)}
# The plan of etc/frontdoor-*.conf.example: the v6plus-style rule
# (2001:db8::/40 <-> 192.0.2.0/24, 16 EA bits, PSID offset 4) gives the CE
# of 2001:db8:12:3400::/56 192.0.2.18 with PSID 0x34: 240 ports.
R4=192.0.2.0/24 OFF=4 PSID=0x34
EUP=2001:db8:12:3400::/56
CE4=192.0.2.18 LPORT=4930
BR6=2001:db8:ffff::1 BR4=198.18.100.2 IR_BR=198.18.100.1
CL=198.51.100.2 IR_CL=198.51.100.1
DOOR=203.0.113.2 IR_FD=203.0.113.1 VIP=203.0.113.10
DOOR_T=198.19.0.1
LAN_GW=198.18.0.1 WEB=198.18.0.2 PC=198.18.0.3
SITE=www.frontdoor.test
GWS="fd br ce"
ALLNS="cl ir fd br rt ce sw web pc"

# fd_keys: WireGuard keys of the door and the home CE.
fd_keys()
{
	local k

	for k in door ce; do
		wg genkey >"$RUN/$k.key" || return 1
		wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub" || return 1
	done
	DOORPUB=$(cat "$RUN/door.pub")
	CEPUB=$(cat "$RUN/ce.pub")
}

fd_topo_up()
{
	local q=$FD_WORKERS n

	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	veth cl eth0 ir c0 1 && veth ir f0 fd wan "$q" &&
		veth ir b0 br inet "$q" && veth br core rt r0 "$q" &&
		veth rt r1 ce wan "$q" && veth ce lan sw p0 "$q" &&
		veth sw p1 web eth0 1 && veth sw p2 pc eth0 1 || return 1
	r sw link add br0 type bridge || return 1
	for n in p0 p1 p2; do
		r sw link set "$n" master br0 || return 1
	done
	a4 cl "$CL/24" eth0
	a4 ir "$IR_CL/24" c0
	a4 ir "$IR_FD/24" f0
	a4 ir "$IR_BR/24" b0
	a4 fd "$DOOR/24" wan
	a4 br "$BR4/24" inet
	a6 br 2001:db8:ff00::2/64 core
	a6 br "$BR6/128" lo
	a6 rt 2001:db8:ff00::1/64 r0
	a6 rt 2001:db8:ff01::1/64 r1
	a6 ce 2001:db8:ff01::2/64 wan
	a4 ce "$LAN_GW/24" lan
	a4 web "$WEB/24" eth0
	a4 pc "$PC/24" eth0
	for n in cl:eth0 ir:c0 ir:f0 ir:b0 fd:wan br:inet br:core rt:r0 rt:r1 \
		 ce:wan ce:lan sw:p0 sw:p1 sw:p2 sw:br0 web:eth0 pc:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r cl route add default via "$IR_CL" || return 1
	# The internet: the door's public address and MAP-E's IPv4 prefix.
	r ir route add "$VIP/32" via "$DOOR" || return 1
	r ir route add "$R4" via "$BR4" || return 1
	nx ir sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || return 1
	r fd route add default via "$IR_FD" || return 1
	r br route add default via "$IR_BR" || return 1
	r br -6 route add default via 2001:db8:ff00::1 || return 1
	r rt -6 route add "$EUP" via 2001:db8:ff01::2 || return 1
	r rt -6 route add "$BR6/128" via 2001:db8:ff00::2 || return 1
	nx rt sysctl -q -w net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	r ce -6 route add default via 2001:db8:ff01::1 || return 1
	r web route add default via "$LAN_GW" || return 1
	r pc route add default via "$LAN_GW" || return 1
	gws_noforward || return 1
	# Neighbours as a running network has them: genkan mirrors the
	# kernel's, and a first packet to an unresolved one is dropped while
	# the kernel asks (a first WireGuard handshake would wait 5 s more).
	nx fd ping -c 1 -W 2 "$IR_FD" >/dev/null &&
		nx br ping -c 1 -W 2 "$IR_BR" >/dev/null &&
		nx br ping -6 -c 1 -W 2 2001:db8:ff00::1 >/dev/null &&
		nx ce ping -6 -c 1 -W 2 2001:db8:ff01::1 >/dev/null &&
		nx ce ping -c 1 -W 2 "$WEB" >/dev/null &&
		nx ce ping -c 1 -W 2 "$PC" >/dev/null
}

# fd_conf GW: GW's config (fd, br, ce): the shipped
# etc/frontdoor-{door,br,ce}.conf.example with this run's instance, ctl
# socket, bpffs, workers and WireGuard keys; nothing else changes.
fd_conf()
{
	local g=$1 f

	case $g in
	fd) f=door ;;
	*) f=$g ;;
	esac
	mkdir -p /run/genkan
	sed -e "s|^instance = .*|instance = $TAG-$g\nsocket = $(sock "$g")\nbpffs = $RUN/bpf-$g|" \
	    -e "s|^workers = .*|workers = $FD_WORKERS|" \
	    -e "s|/etc/genkan/wg.key|$RUN/$f.key|" \
	    -e "s|REPLACE_WITH_THE_HOMES_PUBLIC_KEY|$CEPUB|" \
	    -e "s|REPLACE_WITH_THE_DOORS_PUBLIC_KEY|$DOORPUB|" \
	    "$FD_ETC/frontdoor-$f.conf.example" >"$(conf "$g")"
}

# fd_start: genkand on the door and the BR, then on the home CE, which
# calls the door at once (an initiation before the door listens would
# wait out WireGuard's 5 s retry). PASS/FAIL per gateway; false if one
# did not come up.
fd_start()
{
	local g

	for g in fd br ce; do
		[ "$g" = ce ] && { gk_ready fd && gk_ready br || return 1; }
		gk_start "$g" || { fail "bpffs for $g"; return 1; }
	done
	for g in fd br ce; do
		gw_ready "$g" "workers running" || return 1
	done
}

# fd_ca: a CA and the site's certificate signed by it, made now.
fd_ca()
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=genkan demo CA" \
		-keyout "$RUN/ca.key" -out "$RUN/ca.crt" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$SITE" \
		-keyout "$RUN/site.key" -out "$RUN/site.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=DNS:%s\n' "$SITE" >"$RUN/site.ext"
	openssl x509 -req -in "$RUN/site.csr" -CA "$RUN/ca.crt" -CAkey "$RUN/ca.key" \
		-CAcreateserial -days 1 -extfile "$RUN/site.ext" \
		-out "$RUN/site.crt" >/dev/null 2>&1
}

# fd_servers_up: nginx (HTTPS and HTTP) and iperf3 on web, an internet web
# server on cl that answers with the address:port it sees.
fd_servers_up()
{
	fd_ca || return 1
	mkdir -p "$RUN/www"
	echo "genkan front door demo: hello from the home server" >"$RUN/www/index.html"
	head -c $((FD_BIG_MB * 1048576)) /dev/urandom >"$RUN/www/big"
	BIG_SHA=$(sha256sum <"$RUN/www/big" | cut -d' ' -f1)
	INDEX_SHA=$(sha256sum <"$RUN/www/index.html" | cut -d' ' -f1)
	cat >"$RUN/nginx.conf" <<EOF
worker_processes 1; pid $RUN/nginx.pid; error_log $RUN/nginx.err;
events { worker_connections 1024; }
http {
  log_format fd '\$remote_addr \$remote_port "\$request" \$status';
  access_log $RUN/access.log fd;
  client_body_temp_path $RUN; proxy_temp_path $RUN; fastcgi_temp_path $RUN;
  uwsgi_temp_path $RUN; scgi_temp_path $RUN;
  server {
    listen $WEB:443 ssl;
    listen $WEB:80;
    server_name $SITE;
    ssl_certificate $RUN/site.crt; ssl_certificate_key $RUN/site.key;
    root $RUN/www;
    location = /healthz { access_log off; default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
	chmod 755 "$RUN" "$RUN/www"
	chmod 644 "$RUN/www/"*
	nx web nginx -c "$RUN/nginx.conf" -g 'user root;' || return 1
	# FD_IPERF3_IDLE (s): the server restarts when a client vanished
	# mid-test (the soak's link flaps), instead of staying busy for good.
	bg web "$RUN/iperf3.log" iperf3 -s -B "$WEB" -p 5201 \
		${FD_IPERF3_IDLE:+--idle-timeout "$FD_IPERF3_IDLE"}
	# SOCAT_PEERADDR/PORT: what the internet sees of the home PC.
	cat >"$RUN/inet.sh" <<'EOF'
#!/bin/sh
read -r _
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s %s\n' \
	"$SOCAT_PEERADDR" "$SOCAT_PEERPORT"
EOF
	chmod 700 "$RUN/inet.sh"
	bg cl "$RUN/inet.log" socat TCP-LISTEN:8080,bind="$CL",reuseaddr,fork \
		EXEC:"$RUN/inet.sh"
	wait_for 10 eval "[ -n \"\$(nx cl ss -Hltn 'sport = :8080')\" ]" &&
		wait_for 10 eval "[ -n \"\$(nx web ss -Hltn 'sport = :5201')\" ]"
}

fd_servers_down()
{
	[ -s "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null
	return 0
}

# fd_curl PATH [CURL ARGS...]: the client fetches https://SITE/PATH through
# the door, verifying the certificate against the demo's CA.
fd_curl()
{
	local p=$1
	shift
	nx cl curl -sS --max-time "${CURL_MAX:-30}" --cacert "$RUN/ca.crt" \
		--resolve "$SITE:443:$VIP" --resolve "$SITE:80:$VIP" "$@" \
		"https://$SITE/$p"
}

# fd_handshake: the door has a handshake with the home CE (`wg show`).
fd_handshake()
{
	local h

	h=$(ctl fd -j wg show 2>/dev/null | jq -r '.peers[0].latest_handshake // 0')
	[ "${h:-0}" != 0 ] && [ "${h:-0}" != null ]
}

# fd_health_up SERVICE: the door's health check says its backend is up,
# after at least one probe.
fd_health_up()
{
	local s

	s=$(ctl fd -j l4 show "$1" 2>/dev/null |
		jq -r '.services[0].backends[0].health | "\(.state) \(.checks)"')
	[[ "$s" =~ ^up\ [1-9] ]]
}

# fd_cpu_ticks PID: utime + stime of a process, in clock ticks.
fd_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# fd_rss_kb PID
fd_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
