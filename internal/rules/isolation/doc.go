// Package isolation holds the rules about how workloads are separated from
// one another by namespaces: objects placed in (or left to fall into) the
// default namespace, namespaces that do not enforce a Pod Security
// Standard, and namespaces that run workloads with no ResourceQuota or
// LimitRange to bound what they consume.
package isolation
