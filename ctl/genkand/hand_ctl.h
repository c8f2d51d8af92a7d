/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's side of the classifier -> worker hand-off (docs/architecture.md
 * "Hand-off"): probe what the verifier accepts, pick each port's mode, keep
 * the software twin's tables in step with the XDP maps, and switch a port
 * whose hand-off fails at run time. Control thread only.
 */
#ifndef GK_CTL_HAND_CTL_H
#define GK_CTL_HAND_CTL_H

#include <stddef.h>
#include <stdint.h>
#include "port.h"

struct gk_daemon;

/*
 * Before the classifier loads: probe the verifier and return the rodata
 * GK_CFG_F_* bits for refused helpers (plus the test switch when
 * GENKAN_TEST_HAND_FAIL=1 is in the environment).
 */
uint32_t gk_hand_probe(struct gk_daemon *d);
/* After resolve_ports: each port's mode from its xdp_meta. 0 or -EINVAL. */
int gk_hand_pick(struct gk_daemon *d, char *err, size_t errlen);
/* gk_ports[port] <- ENABLED | xdp_flags | the hand-off bits (| HOLD). */
int gk_hand_push(struct gk_daemon *d, unsigned port, int hold);
/*
 * Publish the twin's tables if the XDP maps changed: 1 when it did, 0
 * when nothing changed, -ENOMEM.
 */
int gk_hand_publish(struct gk_daemon *d);
/* Every heartbeat: a port whose hand-off failed switches mode. */
void gk_hand_watch(struct gk_daemon *d);
/* "meta", "head", "parse" by enum gk_hand. */
extern const char *const gk_hand_names[GK_HAND_MAX];
const char *gk_hand_name(unsigned hand);

#endif
