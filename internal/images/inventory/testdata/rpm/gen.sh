#!/usr/bin/env bash
# Regenerates rpmdb.sqlite: a real RPM database (sqlite backend) in which
# two tiny packages are registered, built with Debian's rpm tools
# (apt-get install rpm). One package has an epoch, to test epoch ordering.
# Run from this directory; the output is committed.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SPECS" "$work/db"
spec() { # name epoch version release
  cat >"$work/SPECS/$1.spec" <<SPEC
Name: $1
${2:+Epoch: $2}
Version: $3
Release: $4
Summary: kguard test package $1
License: MIT
BuildArch: noarch
%description
A package that only exists to be listed in an RPM database.
%files
SPEC
  rpmbuild --quiet --define "_topdir $work" --define "_build_id_links none" -bb "$work/SPECS/$1.spec"
}
spec openssl-libs 1 3.0.7 25.el9
spec curl "" 7.76.1 29.el9
rpm --dbpath "$work/db" --initdb
rpm --dbpath "$work/db" --justdb --nodeps --ignorearch --ignoreos -i "$work"/RPMS/noarch/*.rpm
cp "$work/db/rpmdb.sqlite" rpmdb.sqlite
rpm --dbpath "$work/db" -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\n' | sort
