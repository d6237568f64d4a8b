// Package cluster starts a real etcd and a real kube-apiserver on loopback
// for integration tests: RBAC and Node authorization, TLS with a generated
// CA, service-account token signing (so TokenRequest works), optional audit
// logging, and clients for any identity.
//
// The binaries are built from Go modules by hack/cluster-bins.sh (a
// separate module under hack/tools pins k8s.io/kubernetes and etcd), into a
// cache directory outside the work tree. Tests find them through
// KGUARD_TEST_BINDIR or the default cache directory. When they are
// missing, tests skip with a message saying how to build them; with
// KGUARD_REQUIRE_CLUSTER=1 (CI sets it) a missing binary fails the test.
//
// Starting takes a few seconds, so a package shares one cluster:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.RunShared(m)) }
//
//	func TestSomething(t *testing.T) {
//		c := cluster.Shared(t)
//		cs := kubernetes.NewForConfigOrDie(c.AdminConfig())
//		...
//	}
//
// Tests that need their own flags (an audit policy, say) call Start.
// Options.ControllerManager adds the real kube-controller-manager (built
// from the same module) with the ClusterRole aggregation and
// ValidatingAdmissionPolicy status controllers, so that aggregated roles
// and policy type checking come from the real controllers.
package cluster
