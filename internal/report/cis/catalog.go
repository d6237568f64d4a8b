package cis

import "strings"

// Version is the CIS Kubernetes Benchmark version the catalog lists and
// the rules' References.CIS name checks of.
const Version = "1.12"

// Check is one check of the benchmark. The titles are kguard's short
// wording of what each check asks, not the benchmark's text.
type Check struct {
	ID    string
	Title string
	// Automated is the benchmark's own classification; the others are
	// Manual, whatever kguard can check of them.
	Automated bool
	// Target names what the check is about, for "not evaluated" reasons:
	// the component or file that must be among the inputs.
	Target string
	// Note explains how kguard covers the check, or why it does not.
	Note string
}

// Section is the group a check belongs to ("1.2" for 1.2.16, "2" for 2.1).
func (c Check) Section() string {
	i := strings.LastIndex(c.ID, ".")
	if i < 0 {
		return c.ID
	}
	return c.ID[:i]
}

// Sections names the benchmark's sections.
var Sections = map[string]string{
	"1.1": "Control Plane Node Configuration Files",
	"1.2": "API Server",
	"1.3": "Controller Manager",
	"1.4": "Scheduler",
	"2":   "Etcd Node Configuration",
	"3.1": "Authentication and Authorization",
	"3.2": "Logging",
	"4.1": "Worker Node Configuration Files",
	"4.2": "Kubelet",
	"4.3": "kube-proxy",
	"5.1": "RBAC and Service Accounts",
	"5.2": "Pod Security Standards",
	"5.3": "Network Policies and CNI",
	"5.4": "Secrets Management",
	"5.5": "Extensible Admission Control",
	"5.6": "General Policies",
}

// Targets of checks.
const (
	apiserver   = "a kube-apiserver"
	cm          = "a kube-controller-manager"
	scheduler   = "a kube-scheduler"
	etcd        = "an etcd"
	kubelet     = "a kubelet (process or KubeletConfiguration)"
	kubeproxy   = "a kube-proxy (process or KubeProxyConfiguration)"
	workloads   = "workloads and RBAC objects"
	nodeFile    = "a NodeFile with role "
	notAnObject = "nothing kguard reads"
)

// noteNotCheck begins the note of a check no rule covers.
const noteNotCheck = "Not checked: "

func a(id, title, target string) Check {
	return Check{ID: id, Title: title, Automated: true, Target: target}
}
func m(id, title, target string) Check   { return Check{ID: id, Title: title, Target: target} }
func (c Check) note(n string) Check      { c.Note = n; return c }
func file(role string) string            { return nodeFile + role }
func fileA(id, title, role string) Check { return a(id, title, file(role)) }

// Catalog lists every check of CIS Kubernetes Benchmark 1.12, in the
// benchmark's order: 131 checks, 65 of them automated.
func Catalog() []Check {
	return []Check{
		fileA("1.1.1", "API server static pod manifest has mode 600 or stricter", "kube-apiserver-manifest"),
		fileA("1.1.2", "API server static pod manifest is owned by root:root", "kube-apiserver-manifest"),
		fileA("1.1.3", "Controller manager static pod manifest has mode 600 or stricter", "kube-controller-manager-manifest"),
		fileA("1.1.4", "Controller manager static pod manifest is owned by root:root", "kube-controller-manager-manifest"),
		fileA("1.1.5", "Scheduler static pod manifest has mode 600 or stricter", "kube-scheduler-manifest"),
		fileA("1.1.6", "Scheduler static pod manifest is owned by root:root", "kube-scheduler-manifest"),
		fileA("1.1.7", "etcd static pod manifest has mode 600 or stricter", "etcd-manifest"),
		fileA("1.1.8", "etcd static pod manifest is owned by root:root", "etcd-manifest"),
		m("1.1.9", "CNI configuration files have mode 600 or stricter", notAnObject).
			note(noteNotCheck + "where CNI plugins keep their files differs by plugin."),
		m("1.1.10", "CNI configuration files are owned by root:root", notAnObject).
			note(noteNotCheck + "where CNI plugins keep their files differs by plugin."),
		fileA("1.1.11", "etcd data directory has mode 700 or stricter", "etcd-data-dir"),
		fileA("1.1.12", "etcd data directory is owned by etcd:etcd", "etcd-data-dir").
			note("kguard also accepts root:root, the owner kubeadm gives it (its etcd runs as root)."),
		fileA("1.1.13", "Administrator kubeconfigs (admin.conf, super-admin.conf) have mode 600 or stricter", "admin-kubeconfig"),
		fileA("1.1.14", "Administrator kubeconfigs are owned by root:root", "admin-kubeconfig"),
		fileA("1.1.15", "scheduler.conf has mode 600 or stricter", "scheduler-kubeconfig"),
		fileA("1.1.16", "scheduler.conf is owned by root:root", "scheduler-kubeconfig"),
		fileA("1.1.17", "controller-manager.conf has mode 600 or stricter", "controller-manager-kubeconfig"),
		fileA("1.1.18", "controller-manager.conf is owned by root:root", "controller-manager-kubeconfig"),
		fileA("1.1.19", "PKI directory and its files are owned by root:root", "pki"),
		m("1.1.20", "PKI certificates have mode 644 or stricter", file("pki")),
		m("1.1.21", "PKI private keys have mode 600", file("pki")),

		m("1.2.1", "API server --anonymous-auth is false", apiserver),
		a("1.2.2", "API server --token-auth-file is not set", apiserver),
		m("1.2.3", "API server enables the DenyServiceExternalIPs admission plugin", apiserver).
			note(noteNotCheck + "Services with external IPs are a legitimate feature in some clusters; enable the plugin where they are not."),
		a("1.2.4", "API server --kubelet-client-certificate and --kubelet-client-key are set", apiserver),
		a("1.2.5", "API server --kubelet-certificate-authority is set", apiserver),
		a("1.2.6", "API server --authorization-mode does not include AlwaysAllow", apiserver),
		a("1.2.7", "API server --authorization-mode includes Node", apiserver),
		a("1.2.8", "API server --authorization-mode includes RBAC", apiserver),
		m("1.2.9", "API server enables the EventRateLimit admission plugin", apiserver).
			note(noteNotCheck + "the limits need a configuration file tuned to the cluster."),
		a("1.2.10", "API server does not enable the AlwaysAdmit admission plugin", apiserver),
		m("1.2.11", "API server enables the AlwaysPullImages admission plugin", apiserver),
		a("1.2.12", "API server does not disable the ServiceAccount admission plugin", apiserver),
		a("1.2.13", "API server does not disable the NamespaceLifecycle admission plugin", apiserver),
		a("1.2.14", "API server enables the NodeRestriction admission plugin", apiserver),
		a("1.2.15", "API server --profiling is false", apiserver),
		a("1.2.16", "API server --audit-log-path is set", apiserver),
		a("1.2.17", "API server --audit-log-maxage is 30 or more", apiserver),
		a("1.2.18", "API server --audit-log-maxbackup is 10 or more", apiserver),
		a("1.2.19", "API server --audit-log-maxsize is 100 or more", apiserver),
		m("1.2.20", "API server --request-timeout suits the cluster", apiserver).
			note(noteNotCheck + "the right timeout depends on the cluster; the default is fine for most."),
		a("1.2.21", "API server --service-account-lookup is true", apiserver),
		a("1.2.22", "API server --service-account-key-file is set", apiserver),
		a("1.2.23", "API server --etcd-certfile and --etcd-keyfile are set", apiserver),
		a("1.2.24", "API server --tls-cert-file and --tls-private-key-file are set", apiserver),
		a("1.2.25", "API server --client-ca-file is set", apiserver),
		a("1.2.26", "API server --etcd-cafile is set", apiserver),
		m("1.2.27", "API server --encryption-provider-config is set", apiserver),
		m("1.2.28", "Encryption providers are strong (kms, secretbox, aescbc)", "an EncryptionConfiguration"),
		m("1.2.29", "API server offers only strong TLS cipher suites", apiserver),
		a("1.2.30", "API server --service-account-extend-token-expiration is false", apiserver),

		m("1.3.1", "Controller manager --terminated-pod-gc-threshold suits the cluster", cm).
			note(noteNotCheck + "the right threshold depends on the cluster's size."),
		a("1.3.2", "Controller manager --profiling is false", cm),
		a("1.3.3", "Controller manager --use-service-account-credentials is true", cm),
		a("1.3.4", "Controller manager --service-account-private-key-file is set", cm),
		a("1.3.5", "Controller manager --root-ca-file is set", cm),
		a("1.3.6", "Controller manager does not turn off RotateKubeletServerCertificate", cm),
		a("1.3.7", "Controller manager --bind-address is 127.0.0.1", cm),
		a("1.4.1", "Scheduler --profiling is false", scheduler),
		a("1.4.2", "Scheduler --bind-address is 127.0.0.1", scheduler),

		a("2.1", "etcd --cert-file and --key-file are set", etcd),
		a("2.2", "etcd --client-cert-auth is true", etcd),
		a("2.3", "etcd --auto-tls is not true", etcd),
		a("2.4", "etcd --peer-cert-file and --peer-key-file are set", etcd),
		a("2.5", "etcd --peer-client-cert-auth is true", etcd),
		a("2.6", "etcd --peer-auto-tls is not true", etcd),
		m("2.7", "etcd uses a certificate authority of its own", etcd).
			note(noteNotCheck + "it needs the certificates' issuers compared, which kguard does not read."),

		m("3.1.1", "Client certificates are not used to authenticate people", notAnObject).
			note(noteNotCheck + "who holds which certificate is not visible in configuration."),
		m("3.1.2", "Service account tokens are not used to authenticate people", notAnObject).
			note(noteNotCheck + "who uses which token is not visible in configuration."),
		m("3.1.3", "Bootstrap tokens are not used to authenticate people", notAnObject).
			note(noteNotCheck + "who uses which token is not visible in configuration."),
		m("3.2.1", "A minimal audit policy exists", apiserver+" or an audit Policy"),
		m("3.2.2", "The audit policy covers the key security concerns", "an audit Policy"),

		fileA("4.1.1", "Kubelet service file has mode 600 or stricter", "kubelet-service"),
		fileA("4.1.2", "Kubelet service file is owned by root:root", "kubelet-service"),
		m("4.1.3", "kube-proxy kubeconfig, if any, has mode 600 or stricter", file("kube-proxy-kubeconfig")),
		m("4.1.4", "kube-proxy kubeconfig, if any, is owned by root:root", file("kube-proxy-kubeconfig")),
		fileA("4.1.5", "Kubelet kubeconfig (kubelet.conf) has mode 600 or stricter", "kubelet-kubeconfig"),
		fileA("4.1.6", "Kubelet kubeconfig (kubelet.conf) is owned by root:root", "kubelet-kubeconfig"),
		m("4.1.7", "Kubelet client CA file has mode 644 or stricter", file("kubelet-client-ca")),
		m("4.1.8", "Kubelet client CA file is owned by root:root", file("kubelet-client-ca")),
		fileA("4.1.9", "Kubelet configuration file has mode 600 or stricter", "kubelet-config"),
		fileA("4.1.10", "Kubelet configuration file is owned by root:root", "kubelet-config"),

		a("4.2.1", "Kubelet anonymous authentication is off", kubelet),
		a("4.2.2", "Kubelet authorization mode is not AlwaysAllow", kubelet),
		a("4.2.3", "Kubelet client CA file is set", kubelet),
		m("4.2.4", "Kubelet read-only port, if set, is 0", kubelet),
		m("4.2.5", "Kubelet streaming connection idle timeout is not 0", kubelet),
		a("4.2.6", "Kubelet makes its iptables utility chains", kubelet),
		m("4.2.7", "Kubelet --hostname-override is not set", kubelet).
			note(noteNotCheck + "some cloud providers need the override."),
		m("4.2.8", "Kubelet event record QPS captures enough events", kubelet).
			note(noteNotCheck + "the right rate depends on the cluster."),
		m("4.2.9", "Kubelet serving certificate and key files are set", kubelet).
			note(noteNotCheck + "serverTLSBootstrap replaces them, and either is fine."),
		a("4.2.10", "Kubelet certificate rotation is not off", kubelet).
			note("kguard also reports rotateCertificates left unset, since the kubelet's default is false."),
		m("4.2.11", "Kubelet RotateKubeletServerCertificate is true", kubelet).
			note(noteNotCheck + "the feature gate is on by default in supported releases."),
		m("4.2.12", "Kubelet offers only strong TLS cipher suites", kubelet),
		m("4.2.13", "Kubelet limits the PIDs of pods", kubelet).
			note(noteNotCheck + "the right limit depends on the workloads."),
		m("4.2.14", "Kubelet --seccomp-default is true", kubelet).
			note(noteNotCheck + "the pod-level rules judge each workload's seccomp profile instead."),
		a("4.3.1", "kube-proxy metrics are served on localhost only", kubeproxy),

		m("5.1.1", "cluster-admin is bound only where needed", workloads),
		m("5.1.2", "Access to Secrets is minimal", workloads),
		m("5.1.3", "Roles and ClusterRoles use few wildcards", workloads),
		m("5.1.4", "Access to create pods is minimal", workloads),
		m("5.1.5", "Default service accounts are not used", workloads),
		m("5.1.6", "Service account tokens are mounted only where needed", workloads),
		m("5.1.7", "The system:masters group is not used", notAnObject).
			note(noteNotCheck + "group membership comes from certificates, which kguard does not read."),
		m("5.1.8", "Bind, impersonate and escalate permissions are limited", workloads),
		m("5.1.9", "Access to create PersistentVolumes is minimal", workloads).
			note(noteNotCheck + "no rule singles out this permission yet."),
		m("5.1.10", "Access to the nodes/proxy subresource is minimal", workloads),
		m("5.1.11", "Access to approve CertificateSigningRequests is minimal", workloads),
		m("5.1.12", "Access to webhook configurations is minimal", workloads),
		m("5.1.13", "Access to create service account tokens is minimal", workloads),
		m("5.2.1", "At least one policy control mechanism is in place", workloads),
		m("5.2.2", "Privileged containers are minimised", workloads),
		m("5.2.3", "Containers sharing the host PID namespace are minimised", workloads),
		m("5.2.4", "Containers sharing the host IPC namespace are minimised", workloads),
		m("5.2.5", "Containers sharing the host network namespace are minimised", workloads),
		m("5.2.6", "Containers allowing privilege escalation are minimised", workloads),
		m("5.2.7", "Root containers are minimised", workloads),
		m("5.2.8", "Containers with NET_RAW are minimised", workloads),
		m("5.2.9", "Containers with added capabilities are minimised", workloads),
		m("5.2.10", "Windows HostProcess containers are minimised", workloads),
		m("5.2.11", "HostPath volumes are minimised", workloads),
		m("5.2.12", "Containers using host ports are minimised", workloads),
		m("5.3.1", "The CNI plugin supports NetworkPolicies", notAnObject).
			note(noteNotCheck + "the CNI plugin is not visible in manifests."),
		m("5.3.2", "Every namespace has NetworkPolicies", workloads),
		m("5.4.1", "Secrets are mounted as files rather than environment variables", workloads),
		m("5.4.2", "External secret storage is considered", notAnObject).
			note(noteNotCheck + "a design decision."),
		m("5.5.1", "Image provenance is enforced by ImagePolicyWebhook", notAnObject).
			note(noteNotCheck + "kguard's image rules judge registries and digests instead."),
		m("5.6.1", "Namespaces separate administrative boundaries", notAnObject).
			note(noteNotCheck + "a design decision."),
		m("5.6.2", "Pods use the RuntimeDefault seccomp profile", workloads),
		m("5.6.3", "Pods and containers have security contexts", workloads).
			note(noteNotCheck + "as such; the pod security rules judge each field of the security context."),
		m("5.6.4", "The default namespace is not used", workloads),
	}
}
