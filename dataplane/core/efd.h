/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eventfd(2) wake-ups between threads: a producer signals after queueing
 * work into a ring nothing can poll(2) on; the consumer, woken, drains.
 */
#ifndef GK_EFD_H
#define GK_EFD_H

/*
 * Adds 1 to the counter. 0 or -errno; a full counter (EAGAIN) is a
 * success: its reader has a wake-up pending anyway.
 */
int gk_efd_signal(int fd);

/* Resets the counter (nonblocking fd). 0, or -errno (-EAGAIN: was 0). */
int gk_efd_drain(int fd);

#endif
