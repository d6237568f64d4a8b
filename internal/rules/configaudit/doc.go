// Package configaudit holds the rules that audit kguard's own
// configuration: exceptions in .kguard.yaml that have expired (their
// findings count again, which a team should hear about rather than
// discover) and exceptions that match no rule that ran or no object that
// was scanned (a typo, or a leftover from something long gone). Findings
// name the config file and the exception's line; the resource is the
// config file itself (kind KguardConfig).
//
// The config package decides what an exception matches
// (rules.ConfigException.MatchesRule and MatchesObject), the same code that
// suppresses findings, so these rules cannot disagree with the
// suppression.
package configaudit
