// Package ecs writes findings as Elastic Common Schema events, one JSON
// line each (-o ecs), in the layout of kguard's runtime alerts (the shared
// ecs.Record; package internal/ecs lists the fields), so that findings and
// alerts go to one index with one template and one dashboard
// (deploy/elastic). Every finding of a run has the report's time as
// @timestamp. Suppressed findings are written too, marked; what could not
// be evaluated or read becomes an error record; with --framework, every
// control of each framework is a record of its own.
package ecs
