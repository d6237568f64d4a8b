package exposure

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/images"
)

// exposureKind is what sort of service a published port leads to.
type exposureKind int

const (
	dataStore exposureKind = iota + 1
	adminUI
	notebook
	remoteAdmin
)

// known is a recognised service: what it is, in words for messages.
type known struct {
	what string
	kind exposureKind
}

// wellKnownPorts are the ports whose service is unmistakable: databases,
// caches, search engines, brokers and coordination stores; admin and
// monitoring UIs; notebooks; remote administration. Web ports are not
// here: 80 and 443 say only "a web server". Ports many programs share
// (3000, 8080, 9000) are left to the image.
var wellKnownPorts = map[int32]known{
	5432: {"PostgreSQL", dataStore}, 3306: {"MySQL", dataStore}, 33060: {"MySQL", dataStore},
	6379: {"Redis", dataStore}, 27017: {"MongoDB", dataStore}, 27018: {"MongoDB", dataStore},
	27019: {"MongoDB", dataStore}, 9200: {"Elasticsearch", dataStore}, 9300: {"Elasticsearch", dataStore},
	5984: {"CouchDB", dataStore}, 9042: {"Cassandra", dataStore}, 11211: {"Memcached", dataStore},
	2379: {"etcd", dataStore}, 2380: {"etcd", dataStore}, 8086: {"InfluxDB", dataStore},
	7687: {"Neo4j", dataStore}, 7474: {"Neo4j", dataStore}, 26257: {"CockroachDB", dataStore},
	1433: {"SQL Server", dataStore}, 1521: {"Oracle Database", dataStore}, 8529: {"ArangoDB", dataStore},
	28015: {"RethinkDB", dataStore}, 5672: {"RabbitMQ", dataStore}, 9092: {"Kafka", dataStore},
	2181: {"ZooKeeper", dataStore}, 4222: {"NATS", dataStore}, 8123: {"ClickHouse", dataStore},

	15672: {"the RabbitMQ management UI", adminUI}, 5601: {"Kibana", adminUI}, 9090: {"Prometheus", adminUI},
	9093: {"Alertmanager", adminUI}, 8500: {"Consul", adminUI},

	8888: {"a Jupyter notebook", notebook}, 8787: {"RStudio", notebook},

	22: {"SSH", remoteAdmin}, 23: {"Telnet", remoteAdmin}, 3389: {"RDP", remoteAdmin}, 5900: {"VNC", remoteAdmin},
	2375: {"the Docker API", remoteAdmin}, 2376: {"the Docker API", remoteAdmin}, 10250: {"the kubelet API", remoteAdmin},
}

// portNames are words in Service port names that name the service
// ("tcp-postgresql", "mongodb"), as Helm charts write them.
var portNames = map[string]known{
	"postgres": wellKnownPorts[5432], "postgresql": wellKnownPorts[5432], "mysql": wellKnownPorts[3306],
	"mariadb": {"MariaDB", dataStore}, "redis": wellKnownPorts[6379], "mongo": wellKnownPorts[27017],
	"mongodb": wellKnownPorts[27017], "amqp": wellKnownPorts[5672], "kafka": wellKnownPorts[9092],
	"memcached": wellKnownPorts[11211], "cassandra": wellKnownPorts[9042], "cql": wellKnownPorts[9042],
	"ssh": wellKnownPorts[22], "rdp": wellKnownPorts[3389], "vnc": wellKnownPorts[5900],
	"jupyter": wellKnownPorts[8888], "notebook": wellKnownPorts[8888],
}

// imageNames are the last path component of the images of well-known
// data stores, admin UIs and notebooks (official and common community
// images).
var imageNames = map[string]known{
	"postgres": {"PostgreSQL", dataStore}, "postgresql": {"PostgreSQL", dataStore}, "postgis": {"PostgreSQL", dataStore},
	"timescaledb": {"PostgreSQL", dataStore}, "mysql": {"MySQL", dataStore}, "mysql-server": {"MySQL", dataStore},
	"mariadb": {"MariaDB", dataStore}, "percona-server": {"MySQL", dataStore}, "redis": {"Redis", dataStore},
	"redis-stack-server": {"Redis", dataStore}, "valkey": {"Valkey", dataStore}, "keydb": {"KeyDB", dataStore},
	"dragonfly": {"Dragonfly", dataStore}, "mongo": {"MongoDB", dataStore}, "mongodb": {"MongoDB", dataStore},
	"mongodb-community-server": {"MongoDB", dataStore}, "elasticsearch": {"Elasticsearch", dataStore},
	"opensearch": {"OpenSearch", dataStore}, "couchdb": {"CouchDB", dataStore}, "cassandra": {"Cassandra", dataStore},
	"scylla": {"ScyllaDB", dataStore}, "memcached": {"Memcached", dataStore}, "etcd": {"etcd", dataStore},
	"influxdb": {"InfluxDB", dataStore}, "neo4j": {"Neo4j", dataStore}, "cockroach": {"CockroachDB", dataStore},
	"arangodb": {"ArangoDB", dataStore}, "rethinkdb": {"RethinkDB", dataStore}, "rabbitmq": {"RabbitMQ", dataStore},
	"kafka": {"Kafka", dataStore}, "zookeeper": {"ZooKeeper", dataStore}, "clickhouse-server": {"ClickHouse", dataStore},
	"minio": {"MinIO object storage", dataStore}, "nats": {"NATS", dataStore},

	"pgadmin4": {"an admin UI", adminUI}, "phpmyadmin": {"an admin UI", adminUI}, "adminer": {"an admin UI", adminUI},
	"mongo-express": {"an admin UI", adminUI}, "redis-commander": {"an admin UI", adminUI},
	"redisinsight": {"an admin UI", adminUI}, "kafka-ui": {"an admin UI", adminUI}, "kibana": {"Kibana", adminUI},
	"opensearch-dashboards": {"OpenSearch Dashboards", adminUI}, "grafana": {"Grafana", adminUI},
	"prometheus": {"Prometheus", adminUI}, "alertmanager": {"Alertmanager", adminUI},
	"dashboard": {"the Kubernetes Dashboard", adminUI}, "argocd": {"Argo CD", adminUI},
	"portainer": {"Portainer", adminUI}, "portainer-ce": {"Portainer", adminUI}, "jenkins": {"Jenkins", adminUI},

	"jupyterhub": {"JupyterHub", notebook}, "jupyterlab": {"a Jupyter notebook", notebook},
	"rstudio": {"RStudio", notebook}, "zeppelin": {"Apache Zeppelin", notebook},
}

// imageKnown recognises an image by its last path component ("bitnami/
// postgresql" is PostgreSQL); names ending in -notebook are Jupyter's
// (jupyter/scipy-notebook).
func imageKnown(image string) (known, bool) {
	path := images.ParseReference(image).Path
	name := strings.ToLower(path[strings.LastIndexByte(path, '/')+1:])
	if k, ok := imageNames[name]; ok {
		return k, true
	}
	if strings.HasSuffix(name, "-notebook") {
		return known{"a Jupyter notebook", notebook}, true
	}
	return known{}, false
}

// published is what a Service publishes, as far as the manifests tell.
type published struct {
	// sensitive is set for a data store, admin UI, notebook or remote
	// administration; why says which and how it was recognised.
	sensitive bool
	why       string
	// web is set when every port is HTTP or HTTPS on 80 or 443.
	web bool
}

// severity is the load balancer finding's severity for what it
// publishes: high for anything sensitive, low for a plain web frontend,
// medium when the port says nothing.
func (pub published) severity() finding.Severity {
	switch {
	case pub.sensitive:
		return finding.SeverityHigh
	case pub.web:
		return finding.SeverityLow
	}
	return finding.SeverityMedium
}

// text is the clause the finding message ends with ("" when unknown).
func (pub published) text() string {
	switch {
	case pub.sensitive:
		return "; it publishes " + pub.why
	case pub.web:
		return "; it publishes HTTP and HTTPS only"
	}
	return ""
}

// whatIsPublished looks at the Service's ports (number, target port and
// name) and at the images of the workloads it selects in inv (nil at
// admission, where only the Service is known).
func whatIsPublished(svc *corev1.Service, ns string, inv *inventory.Inventory) published {
	for _, sp := range svc.Spec.Ports {
		for _, port := range []int32{sp.Port, targetPortNumber(sp)} {
			if k, ok := wellKnownPorts[port]; ok {
				return published{sensitive: true, why: fmt.Sprintf("%s (port %d)", k.what, port)}
			}
		}
		for _, name := range []string{sp.Name, targetPortName(sp)} {
			for _, word := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' }) {
				if k, ok := portNames[word]; ok {
					return published{sensitive: true, why: fmt.Sprintf("%s (port name %q)", k.what, name)}
				}
			}
		}
	}
	if inv != nil && len(svc.Spec.Selector) > 0 {
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, o := range inv.Objects() {
			if o.Namespace != ns {
				continue
			}
			w, ok := extract.PodSpec(o)
			if !ok || w.PodMeta == nil || !sel.Matches(labels.Set(w.PodMeta.Labels)) {
				continue
			}
			for _, c := range w.Containers() {
				if k, ok := imageKnown(c.Container.Image); ok {
					return published{sensitive: true, why: fmt.Sprintf("%s (image %s of %s %q)", k.what, c.Container.Image, o.Kind, o.Name)}
				}
			}
		}
	}
	web := len(svc.Spec.Ports) > 0
	for _, sp := range svc.Spec.Ports {
		if (sp.Port != 80 && sp.Port != 443) || protocol(sp.Protocol) != string(corev1.ProtocolTCP) {
			web = false
		}
	}
	return published{web: web}
}

func targetPortNumber(sp corev1.ServicePort) int32 {
	if sp.TargetPort.Type == intstr.Int {
		return sp.TargetPort.IntVal
	}
	return 0
}

func targetPortName(sp corev1.ServicePort) string {
	if sp.TargetPort.Type == intstr.String {
		return sp.TargetPort.StrVal
	}
	return ""
}
