# SPDX-License-Identifier: GPL-2.0-or-later
#
# The ground-truth oracle of the boot tests (test/boot/truth.sh): it counts, apart from
# memdebug-ko, what test module m (awk -v m=NAME) took in a text trace the guest saved,
# and prints "windows own_pages own_net kernel_pages kernel_net work_own work_own_net
# work_kernel work_kernel_net late_own late_kernel work_moved".
#
# Each window runs from the module's module_load by pid P to the module_put of
# do_init_module by P; the module's own pages are P's allocations with gfp_flags
# GFP_KERNEL_ACCOUNT (test/modules/mdko_gt.h) or __GFP_RETRY_MAYFAIL (mdko_gt_slab's slab
# pages, the threads and probes of mdko_gt_kthread and mdko_gt_late) and the pages of its
# bulk allocator calls (vmalloc), the kernel's are P's other ones (slab refills for
# do_init_module's kmalloc, the uevent); net subtracts the blocks P freed again inside
# the window. The work_ figures count the same way what kworkers allocate while they run
# work that P queued inside the window (mdko_gt_wq, mdko_gt_async), and work that work
# queued, and what kernel threads P (or that work) started take (task_rename from
# "kthreadd" by P, or from 6.2 a thread kthreadd forked whose first wakeup is between it
# and P: mdko_gt_kthread). The late_ figures (rd.memdebug=5) count allocations in no load
# window and no load's work or thread whose stack shows the module's code as the first
# module frame (mdko_gt_late's probe, mdko_gt_open's ndo_open in the task of `ip`). A
# page of the load's work or thread whose stack names another module's code and never
# m's is not m's work but that module's late page (mdko_gt_defer's probe, run by the
# deferred-probe work that mdko_gt_supply's load queued): work_moved counts such pages of
# m's own marking that left m's work.

# the task of an event: what an interrupt (the irq-info column's third flag h, H, s, z,
# Z) allocates, bulk-allocates, queues or records a stack for is not the interrupted
# task's doing, but that of a task of its own, -1, in no window (a timer's work)
function pid() {
	if (/ (mm_page_alloc|bulk_enter|bulk_exit|workqueue_queue_work): | <stack trace>/ && irq()) return -1
	match($0, /-[0-9]+ +\[[0-9]+\]/); return substr($0, RSTART + 1) + 0
}
function irq() { return match($0, /\] [^ ]+ +[0-9]+\.[0-9]+: /) && substr($0, RSTART + 4, 1) ~ /[hHszZ]/ }
function field(k) { return match($0, " " k "=[^ ]+") ? substr($0, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "" }
function work() { match($0, /work struct[= ][0-9a-fx]+/); return substr($0, RSTART + 12, RLENGTH - 12) }
# the test modules mark theirs: GFP_KERNEL_ACCOUNT, or __GFP_RETRY_MAYFAIL for the
# slab pages of mdko_gt_slab (a slab page inherits it from the object allocation), and
# of no other module: register_netdev's kvzalloc passes it on to the slab pages it takes
# in mdko_gt_open's window (7.2 without RDRAND: 2 pages); from 7.x vmalloc tries high
# orders first without direct reclaim, which the trace names GFP_NOWAIT|...|__GFP_ACCOUNT
function own_gfp(  g) {
	g = field("gfp_flags")
	return g ~ /(^|\|)(GFP_KERNEL_ACCOUNT|__GFP_ACCOUNT)(\||$)/ ||
		(m == "mdko_gt_slab" && g ~ /__GFP_RETRY_MAYFAIL/)
}
# outside the window the modules allocate whole blocks with exactly these flags, and
# vmalloc's pages of their vmallocs (__GFP_HIGHMEM) with those flags among others;
# the kernel passes __GFP_RETRY_MAYFAIL on to the slab pages of its own kmallocs
# (vmalloc's page array) with more flags
function own_block(  g) {
	g = field("gfp_flags")
	return g ~ /^(GFP_KERNEL_ACCOUNT|GFP_KERNEL\|__GFP_RETRY_MAYFAIL)$/ ||
		(g ~ /__GFP_HIGHMEM/ && g ~ /__GFP_RETRY_MAYFAIL|(^|\|)(GFP_KERNEL_ACCOUNT|__GFP_ACCOUNT)(\||$)/)
}
function ok_pfn() { return field("pfn") !~ /^(0x)?f+$|^-1$/ }
function deferred(q) { return (q in running) || (q in kthread) }
# the frame names a module, not the trampolines and BPF that kallsyms lists as such
function module_frame() { return /\[[^]]+\] *$/ && !/\[(__builtin__[^]]*|bpf)\] *$/ }
# the end of the stack of an allocation for m's work: another module's code, not m's
function work_stack_end() {
	if (wstack && wother && !wsawm) {
		if (dpendown[sp]) { wown -= dpendsz[sp]; wmoved += dpendsz[sp]; delete wmine[dpend[sp]] }
		else { wkern -= dpendsz[sp]; delete wtheirs[dpend[sp]] }
	}
	if (wstack) delete dpend[sp]
	wstack = 0
}
# the stack of a task's latest allocation outside every load: whose code on top; of
# one for m's work: whose code at all
/<stack trace>/ {
	work_stack_end()
	sp = pid(); instack = (sp in lastsz) && !(sp in inwin) && !deferred(sp)
	wstack = (sp in dpend) && deferred(sp); wother = wsawm = 0
	next
}
/^ *=> / {
	if (wstack && module_frame()) {
		if ($0 ~ ("\\[" m "\\] *$")) wsawm = 1; else wother = 1
	}
	if (instack && module_frame()) {
		if ($0 ~ ("\\[" m "\\] *$")) { if (lastown[sp]) lown += lastsz[sp]; else lkern += lastsz[sp] }
		delete lastsz[sp]; instack = 0
	}
	next
}
{ instack = 0; work_stack_end() }
# every load window, for the late pages: a pid in none of them
$0 ~ (" module_put: " m " call_site=do_init_module") && open && pid() == p { open = 0; delete inwin[p]; next }
/ module_load: / { inwin[pid()] = 1 }
/ module_put: .* call_site=do_init_module/ { delete inwin[pid()] }
/ module_load: / && $0 ~ (" module_load: " m "( |$)") { p = pid(); open = 1; n++; next }
# a kernel thread that P (or its work) started: kthread_create names it from P
/ task_rename: / {
	if (field("oldcomm") == "kthreadd" && ((open && pid() == p) || deferred(pid())))
		kthread[field("pid") + 0] = 1
	# a new worker of the workqueues is no load's thread, whoever it wakes first (a trace
	# since boot has its task_newtask; its first wakeup, by another kworker, is skipped
	# below, and one it made much later while running a load's work looked like it)
	if (field("newcomm") ~ /^kworker\//) delete born[field("pid") + 0]
	next
}
# from 6.2: kthreadd forks it under its name, and its first act wakes P
/ task_newtask: / { if (pid() == 2 && field("comm") !~ /^kworker\//) born[field("pid") + 0] = 1; next }
# the first wakeup between the new thread and another task: the other is its
# creator, whichever woke whom; a wakeup in an interrupt on its stack (the irq-info
# column's third flag: h, s, z) is not the thread's act (RCU's softirq waking
# rcu_preempt, in a trace recorded without memdebug-ko's filter)
/ sched_waking: / {
	if (irq()) next
	# nor is waking the kernel's own housekeeping threads, which a PREEMPT_RT thread
	# does in task context (rcuc/0, ksoftirqd/0, ktimers/0) before it wakes its creator,
	# and the reclaim threads (src/catalog.c, WAKE_FILTER)
	if (field("comm") ~ /^(rcu|kworker\/|ksoftirqd\/|swapper\/|migration\/|ktimers\/|kswapd|kcompactd)/) next
	q = pid(); c = field("pid") + 0
	if (c in born) { t = c; c = q } else t = q
	if (t in born) {
		delete born[t]
		if ((open && c == p) || deferred(c)) kthread[t] = 1
	}
	next
}
# work queued by P in the window, or by a kworker running such work
/ workqueue_queue_work: / && ((open && pid() == p) || deferred(pid())) { ours[work()] = 1; next }
/ workqueue_execute_start: / { if (work() in ours) { running[pid()] = 1; delete ours[work()] } else delete running[pid()]; next }
/ workqueue_execute_end: / { delete running[pid()]; next }
deferred(pid()) {
	q = pid()
	delete dpend[q]
	if (/ bulk_enter: /) { dbulk[q] = 1; dinside[q] = 0 }
	else if (/ bulk_exit: / && dbulk[q]) {
		size = field("ret") - dinside[q]; delete dbulk[q]
		if (size > 0) { wown += size; dpend[q] = ""; dpendsz[q] = size; dpendown[q] = 1 }
	} else if (/ mm_page_alloc: / && ok_pfn()) {
		key = field("pfn") "/" field("order"); size = 2 ^ field("order")
		down = dbulk[q] || own_block()
		if (dbulk[q]) dinside[q] += size
		if (down) { wown += size; wmine[key] = size }
		else { wkern += size; wtheirs[key] = size }
		dpend[q] = key; dpendsz[q] = size; dpendown[q] = down
	} else if (/ mm_page_free: /) {
		key = field("pfn") "/" field("order")
		if (key in wmine) { wown_freed += wmine[key]; delete wmine[key] }
		else if (key in wtheirs) { wkern_freed += wtheirs[key]; delete wtheirs[key] }
	}
	next
}
!(pid() in inwin) {
	q = pid()
	if (/ bulk_enter: /) { lbulk[q] = 1; linside[q] = 0 }
	else if (/ bulk_exit: / && lbulk[q]) {
		if (field("ret") > linside[q]) { lastsz[q] = field("ret") - linside[q]; lastown[q] = 1 }
		delete lbulk[q]
	} else if (/ mm_page_alloc: / && ok_pfn()) {
		if (lbulk[q]) linside[q] += 2 ^ field("order")
		lastsz[q] = 2 ^ field("order"); lastown[q] = own_block()
	}
	next
}
!open || pid() != p { next }
# vmalloc: the bulk allocator returns the pages its array holds, of which those
# mm_page_alloc reported inside the call (the single-page path) came that way
/ bulk_enter: / { bulk = 1; inside = 0; next }
/ bulk_exit: / && bulk { bulk = 0; own += field("ret") - inside; next }
/ mm_page_alloc: / && ok_pfn() {
	key = field("pfn") "/" field("order"); size = 2 ^ field("order")
	# vmalloc adds __GFP_HIGHMEM|__GFP_NOWARN, and falls back to single pages
	# when the bulk allocator will not charge a memcg (GFP_KERNEL_ACCOUNT)
	if (bulk) { own += size; inside += size; mine[key] = size }
	else if (own_gfp()) { own += size; mine[key] = size }
	else { kern += size; theirs[key] = size }
}
/ mm_page_free: / {
	key = field("pfn") "/" field("order")
	if (key in mine) { own_freed += mine[key]; delete mine[key] }
	else if (key in theirs) { kern_freed += theirs[key]; delete theirs[key] }
}
END {
	print n + 0, own + 0, own - own_freed, kern + 0, kern - kern_freed,
		wown + 0, wown - wown_freed, wkern + 0, wkern - wkern_freed,
		lown + 0, lkern + 0, wmoved + 0
}
