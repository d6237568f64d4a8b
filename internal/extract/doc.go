// Package extract finds the pod spec inside any workload object (Pod,
// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
// ReplicationController, and their deprecated API versions), written once so
// that no rule repeats the per-kind logic. It also lists every container of
// a pod spec, init and ephemeral ones included, with the field path that
// points at it, and the routes of an Ingress of any API version.
//
// Custom resources that run pods from a template of their own (Argo
// Rollouts, OpenKruise, Knative, OpenShift DeploymentConfig, ..., and kinds
// users add in .kguard.yaml) are workloads too. Their templates are found
// by a Templates table and decoded into corev1.PodTemplateSpec once, when
// they are loaded (Templates.Resolve), and PodSpec hands them out like a
// Deployment's.
package extract
