// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 at
// the version pinned in this module's go.mod, for kguard's integration
// tests. It is its own module so etcd's dependencies stay out of kguard's.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
