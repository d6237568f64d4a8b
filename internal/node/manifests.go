package node

import (
	"fmt"
	"io"
	"strings"
	"text/template"
)

// ManifestOptions configure the Job that runs `kguard node` on a node.
type ManifestOptions struct {
	Namespace string
	Image     string
	// NodeName pins the Job to one node; empty lets the scheduler pick a
	// control-plane node (the Job tolerates the control-plane taint and
	// selects node-role.kubernetes.io/control-plane).
	NodeName string
}

var manifestTemplate = template.Must(template.New("job").Parse(`# kguard node: checks the files and processes of one node.
#
# Why each setting is there:
# - hostPID: true shows the node's processes in the container's /proc, so
#   kguard finds kube-apiserver, etcd, kubelet... and reads their flags
#   (--proc=/proc).
# - The host's /etc/kubernetes, /var/lib/kubelet and /var/lib/etcd, the
#   systemd unit directories (the kubelet's service file) and /etc/passwd
#   and /etc/group (to name file owners) are mounted read-only under /host
#   (--root=/host): kguard only stats and reads them, never writes.
# - runAsUser: 0 is needed: the files checked are owned by root and mode
#   0600 when they are right, and only their owner may read them (stat needs
#   no read access, but the kubelet configuration and key files are read).
#   Root here has no capabilities at all (drop ALL): it reads root-owned
#   files as their owner, not by overriding permissions. Files owned by
#   another user with a strict mode would need CAP_DAC_READ_SEARCH; add it
#   only if kguard reports such files as not checked.
# - The host paths have no type (no check before mounting), so a node
#   without one of them (no etcd on a worker) still runs the Job; kguard
#   skips well-known paths that are missing.
# - The namespace must allow hostPID, hostPath and root (Pod Security
#   "privileged" level): keep it dedicated to this Job.
# - The ServiceAccount has no RBAC binding and no token is mounted:
#   kguard node talks to no API.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kguard-node
  namespace: "{{.Namespace}}"
automountServiceAccountToken: false
---
apiVersion: batch/v1
kind: Job
metadata:
  name: kguard-node
  namespace: "{{.Namespace}}"
  labels:
    app.kubernetes.io/name: kguard-node
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: kguard-node
    spec:
      serviceAccountName: kguard-node
      automountServiceAccountToken: false
      restartPolicy: Never
      hostPID: true
{{- if .NodeName}}
      nodeName: "{{.NodeName}}"
{{- else}}
      nodeSelector:
        node-role.kubernetes.io/control-plane: ""
{{- end}}
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
      securityContext:
        runAsUser: 0
        runAsGroup: 0
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: kguard
          image: "{{.Image}}"
          args:
            - node
            - --root=/host
            - --proc=/proc
            # Findings are the report, not a job failure.
            - --fail-on=none
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: etc-kubernetes, mountPath: /host/etc/kubernetes, readOnly: true}
            - {name: var-lib-kubelet, mountPath: /host/var/lib/kubelet, readOnly: true}
            - {name: var-lib-etcd, mountPath: /host/var/lib/etcd, readOnly: true}
            - {name: etc-systemd, mountPath: /host/etc/systemd/system, readOnly: true}
            - {name: usr-lib-systemd, mountPath: /host/usr/lib/systemd/system, readOnly: true}
            - {name: etc-passwd, mountPath: /host/etc/passwd, readOnly: true}
            - {name: etc-group, mountPath: /host/etc/group, readOnly: true}
      volumes:
        - name: etc-kubernetes
          hostPath: {path: /etc/kubernetes}
        - name: var-lib-kubelet
          hostPath: {path: /var/lib/kubelet}
        - name: var-lib-etcd
          hostPath: {path: /var/lib/etcd}
        - name: etc-systemd
          hostPath: {path: /etc/systemd/system}
        - name: usr-lib-systemd
          hostPath: {path: /usr/lib/systemd/system}
        - name: etc-passwd
          hostPath: {path: /etc/passwd}
        - name: etc-group
          hostPath: {path: /etc/group}
`))

// WriteManifests writes the ServiceAccount and Job that run `kguard node`.
func WriteManifests(w io.Writer, o ManifestOptions) error {
	for _, v := range []struct{ name, value string }{{"namespace", o.Namespace}, {"image", o.Image}, {"node name", o.NodeName}} {
		if strings.ContainsAny(v.value, "\n\r\"'{}# \\") {
			return fmt.Errorf("invalid %s %q", v.name, v.value)
		}
	}
	if o.Namespace == "" || o.Image == "" {
		return fmt.Errorf("namespace and image are required")
	}
	return manifestTemplate.Execute(w, o)
}
