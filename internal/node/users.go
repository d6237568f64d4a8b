package node

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// idNames maps numeric user or group IDs to names, as the node's
// /etc/passwd or /etc/group lists them.
type idNames map[int64]string

// readIDNames reads a passwd(5) or group(5) file (name:x:id:...); a file
// that cannot be read gives no names, and owners are then shown by
// number only. LDAP or other NSS sources are not consulted: the checks
// need only root (0) and etcd, which are local accounts.
func readIDNames(root, file string) idNames {
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil
	}
	names := idNames{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		if len(fields) < 3 {
			continue
		}
		id, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue
		}
		if _, dup := names[id]; !dup {
			names[id] = fields[0]
		}
	}
	return names
}
