// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kguard node sensor: exec, watched file opens and outbound TCP connects,
 * reported through one ring buffer; optional enforcement (connect deny
 * list, kill of flagged processes).
 *
 * Every hook has a tp_btf program and a raw_tracepoint twin with the same
 * body; user space attaches the first that loads. All kernel reads go
 * through BPF_CORE_READ so both flavours work.
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define COMM_LEN 16
#define PATH_LEN 256
#define ARGS_LEN 512

#define EVENT_EXEC 1
#define EVENT_OPEN 2
#define EVENT_CONNECT 3
#define EVENT_CONNECT_DENIED 4

/* Values of the watch map: which opens of a prefix are reported. */
#define WATCH_ANY 1
#define WATCH_WRITES 2

#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000

#define AF_INET 2
#define AF_INET6 10
#define TCP_SYN_SENT 2
#define SIGKILL 9

#if defined(__TARGET_ARCH_x86)
#define NR_OPENAT 257
#elif defined(__TARGET_ARCH_arm64)
#define NR_OPENAT 56
#endif
#define NR_OPENAT2 437

/* Set by user space before loading. */
volatile const __u32 self_tgid = 0;
volatile const bool enforce = false;

struct event {
	__u32 type;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;
	__u64 mntns;
	__u64 time_ns;
	__u32 flags;
	__u16 family;
	__u16 dport;
	__u8 daddr[16];
	__u32 args_len;
	char comm[COMM_LEN];
	char path[PATH_LEN];
	char args[ARGS_LEN];
};
/* Generated into Go by bpf2go (-type event). */
const struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct watch_key {
	__u32 prefixlen; /* in bits */
	char path[PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct watch_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} watch_paths SEC(".maps");

/* Scratch space for the path of an open: too big for the stack with the
 * rest of the frame. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_key);
} scratch SEC(".maps");

/* Processes (tgid) user space wants killed: signalled from their next
 * system call when enforcement is on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} kill_tgids SEC(".maps");

struct deny_key {
	__u32 addr; /* network order; 0 matches any address */
	__u32 port; /* host order; 0 matches any port */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct deny_key);
	__type(value, __u32);
} deny_connect4 SEC(".maps");

/* Counters: 0 ring buffer full, 1 kill signals sent, 2 connects denied. */
#define STAT_LOST 0
#define STAT_KILLED 1
#define STAT_DENIED 2
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &key);
	if (v)
		(*v)++;
}

/* Waking the reader for every event costs the producing task an
 * inter-processor interrupt, which dominates on exec-heavy nodes (and in
 * VMs). The reader polls instead; it is woken only when a backlog builds,
 * or at once under enforcement, where a kill must follow its alert fast. */
#define WAKEUP_BYTES (512 * 1024)

static __always_inline void submit(struct event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (enforce || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > WAKEUP_BYTES)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct event *reserve(__u32 type)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(STAT_LOST);
		return 0;
	}
	__u64 id = bpf_get_current_pid_tgid();
	e->type = type;
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->time_ns = bpf_ktime_get_ns();
	e->ppid = 0;
	e->mntns = 0;
	e->flags = 0;
	e->family = 0;
	e->dport = 0;
	e->args_len = 0;
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	e->path[0] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* Task fields only tracing programs can read. */
static __always_inline void fill_task(struct event *e)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	e->mntns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

static __always_inline int on_exec(struct linux_binprm *bprm)
{
	struct event *e = reserve(EVENT_EXEC);
	if (!e)
		return 0;
	fill_task(e);
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	unsigned long n = end - start;
	if (end < start)
		n = 0;
	if (n >= ARGS_LEN)
		n = ARGS_LEN - 1;
	n &= ARGS_LEN - 1;
	if (n && bpf_probe_read_user(e->args, n, (void *)start) == 0)
		e->args_len = n;
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(bprm);
}

SEC("raw_tracepoint/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(bprm);
}

static __always_inline void kill_if_flagged(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&kill_tgids, &tgid)) {
		if (bpf_send_signal(SIGKILL) == 0) {
			count(STAT_KILLED);
			bpf_map_delete_elem(&kill_tgids, &tgid);
		}
	}
}

/* Reports an open of name when a watched prefix covers it. how: flags is
 * a user pointer to struct open_how (openat2), whose first member is the
 * flags. */
static __always_inline int on_open(const char *name, __u64 flags, bool how)
{
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	__u32 zero = 0;
	struct watch_key *k = bpf_map_lookup_elem(&scratch, &zero);
	if (!k)
		return 0;
	long n = bpf_probe_read_user_str(k->path, sizeof(k->path), name);
	if (n <= 1 || k->path[0] != '/')
		return 0;
	k->prefixlen = (n - 1) * 8;
	__u32 *mode = bpf_map_lookup_elem(&watch_paths, k);
	if (!mode)
		return 0;
	if (how) {
		void *p = (void *)flags;
		flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), p);
	}
	if (*mode == WATCH_WRITES && !(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)))
		return 0;

	struct event *e = reserve(EVENT_OPEN);
	if (!e)
		return 0;
	fill_task(e);
	e->flags = (__u32)flags;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), k->path);
	submit(e);
	return 0;
}

/* Runs for every system call: the open filter, and the kill of flagged
 * processes under enforcement. */
static __always_inline int on_sys_enter(struct pt_regs *regs, long id)
{
	if (enforce)
		kill_if_flagged();
	if (id != NR_OPENAT && id != NR_OPENAT2)
		return 0;
	return on_open((const char *)PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs), id == NR_OPENAT2);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("raw_tracepoint/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

/* Context of the syscalls/sys_enter_* tracepoints: common fields, the
 * system call number, then its arguments (see their format files). */
struct syscall_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

/* Attached to syscalls/sys_enter_openat and sys_enter_openat2 only: the
 * cheapest way to see opens, as no program runs for other system calls. */
SEC("tracepoint/syscalls/sys_enter_open")
int open_tp(struct syscall_enter_ctx *ctx)
{
	return on_open((const char *)ctx->args[1], ctx->args[2], ctx->nr == NR_OPENAT2);
}

static __always_inline int on_sock_state(const struct sock *sk, int newstate)
{
	if (newstate != TCP_SYN_SENT)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	struct event *e = reserve(EVENT_CONNECT);
	if (!e)
		return 0;
	fill_task(e);
	e->family = family;
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->daddr, &a, 4);
	} else {
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	submit(e);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return on_sock_state(sk, newstate);
}

SEC("raw_tracepoint/inet_sock_set_state")
int BPF_PROG(sock_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return on_sock_state(sk, newstate);
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	struct deny_key k = {.addr = ctx->user_ip4, .port = bpf_ntohs((__u16)ctx->user_port)};
	struct deny_key any_port = {.addr = k.addr, .port = 0};
	struct deny_key any_addr = {.addr = 0, .port = k.port};
	if (!bpf_map_lookup_elem(&deny_connect4, &k) && !bpf_map_lookup_elem(&deny_connect4, &any_port) &&
	    !bpf_map_lookup_elem(&deny_connect4, &any_addr))
		return 1;
	count(STAT_DENIED);
	struct event *e = reserve(EVENT_CONNECT_DENIED);
	if (e) {
		e->family = AF_INET;
		e->dport = k.port;
		__builtin_memcpy(e->daddr, &k.addr, 4);
		submit(e);
	}
	return 0;
}
