package secrets

import (
	"slices"
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	const pat = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"flag=value", []string{"--password=hunter2", "--host=db"}, []string{"--password=" + Redacted, "--host=db"}},
		{"flag value", []string{"--token", "s3cr3t-v4lue", "get", "pods"}, []string{"--token", Redacted, "get", "pods"}},
		{"single dash", []string{"-client-secret=abc123"}, []string{"-client-secret=" + Redacted}},
		{"password in a URL", []string{"postgres://app:Pa55w0rd@db:5432/shop"}, []string{"postgres://app:" + Redacted + "@db:5432/shop"}},
		{"percent-encoded password in a URL", []string{"amqp://app:Pa55%23w0rd@mq:5672/"}, []string{"amqp://app:" + Redacted + "@mq:5672/"}},
		{"named like a credential, not judged one", []string{"--initial-cluster-token=etcd-cluster-shop"}, []string{"--initial-cluster-token=" + Redacted}},
		{"known token format", []string{"-H", "Authorization: token " + pat}, []string{"-H", "Authorization: token " + Redacted}},
		{"references stay", []string{"--password-file=/run/secrets/db", "--token", "$(TOKEN)"}, []string{"--password-file=/run/secrets/db", "--token", "$(TOKEN)"}},
		{"flag followed by a flag", []string{"--token", "--verbose"}, []string{"--token", "--verbose"}},
		{"ordinary", []string{"-c", "cat /etc/shadow", "-e", "/bin/sh"}, []string{"-c", "cat /etc/shadow", "-e", "/bin/sh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := RedactArgs(in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("RedactArgs(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !slices.Equal(in, tc.in) {
				t.Errorf("the input was modified: %q", in)
			}
			for _, secret := range []string{"hunter2", "s3cr3t-v4lue", "abc123", "Pa55w0rd", "Pa55%23w0rd", pat} {
				if strings.Contains(strings.Join(got, " "), secret) {
					t.Errorf("%q still holds %q", got, secret)
				}
			}
		})
	}
}
