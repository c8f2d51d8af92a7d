/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's side of the front door (docs/l4.md): builds the service table
 * (Maglev over the usable backends, lib/maglev.h) from [l4-service]s,
 * publishes it to the workers by RCU, keeps gk_l4svc in step, and answers
 * `genkanctl l4 ...`. Control thread only.
 */
#ifndef GK_CTL_L4_CTL_H
#define GK_CTL_L4_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct gk_daemon;
struct gk_worker_cfg;

/* GK_CFG_F_L4 when the config has services (rodata, before the load). */
uint32_t gk_l4_xdp_flags(const struct gk_daemon *d);
/* Build, publish, fill gk_l4svc. 0, or -errno with a message in err. */
int gk_l4_start(struct gk_daemon *d, char *err, size_t errlen);
void gk_l4_worker_cfg(struct gk_daemon *d, unsigned w,
		      struct gk_worker_cfg *wc);
/* Rebuild and publish after a backend's state or health changed. */
int gk_l4_republish(struct gk_daemon *d, char *err, size_t errlen);
/* After the workers are gone. */
void gk_l4_stop(struct gk_daemon *d);
/* ctl "l4": {"op":"show"[,"name"]} | {"op":"lookup","name","client"} |
 * {"op":"backend","name","backend","action":"drain|enable|disable"} */
int gk_l4_cmd(void *arg, json_t *args, json_t **result, char *err,
	      size_t errlen);

#endif
