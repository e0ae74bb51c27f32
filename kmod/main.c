// SPDX-License-Identifier: GPL-2.0
/*
 * ltun: an L3 tunnel whose data path runs in the kernel, carrying IP packets
 * to peers over TCP sockets that userspace has set up with kernel TLS.
 */
#include <linux/ltun.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "netlink.h"

#define LTUN_VERSION "0.1.0"

/*
 * Runs every peer's RX and TX worker and each device's reap work.
 *
 * Unbound, so the scheduler may run a worker on any CPU. A per-CPU queue
 * runs a worker where it was queued, and on veth (or any path without
 * RPS) that is the CPU of the sending process: the sender, our TX worker,
 * the far end's RX worker and its GRO all piled onto one CPU while the
 * others idled. Nothing in the workers needs a fixed CPU (per-CPU
 * counters and GRO are touched with bottom halves off). WQ_SYSFS lets an
 * operator confine the workers to some CPUs (cpumask under
 * /sys/devices/virtual/workqueue/ltun).
 *
 * Not WQ_HIGHPRI: workers at nice -20 drain a loaded hub faster, but a
 * TX worker that preempts its sender at every packet sends one TLS
 * record per packet, and a fixed-rate UDP sender then falls behind
 * (README, "Workers", has the numbers).
 */
struct workqueue_struct *ltun_wq;

static int __init ltun_init(void)
{
	int err;

	ltun_wq = alloc_workqueue("ltun", WQ_UNBOUND | WQ_SYSFS, 0);
	if (!ltun_wq)
		return -ENOMEM;

	err = rtnl_link_register(&ltun_link_ops);
	if (err)
		goto err_wq;

	err = ltun_nl_register();
	if (err)
		goto err_link;

	pr_info("ltun " LTUN_VERSION " loaded\n");
	return 0;

err_link:
	rtnl_link_unregister(&ltun_link_ops);
err_wq:
	destroy_workqueue(ltun_wq);
	return err;
}

static void __exit ltun_exit(void)
{
	/* Devices first: removing their peers still sends notifications. */
	rtnl_link_unregister(&ltun_link_ops);
	ltun_nl_unregister();
	destroy_workqueue(ltun_wq);
}

module_init(ltun_init);
module_exit(ltun_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("L3 tunnel over kernel-TLS TCP sockets");
MODULE_AUTHOR("The ltun developers");
MODULE_VERSION(LTUN_VERSION);
MODULE_ALIAS_RTNL_LINK("ltun");
MODULE_ALIAS_GENL_FAMILY(LTUN_GENL_NAME);
