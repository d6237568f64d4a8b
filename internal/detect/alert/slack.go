package alert

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// slackMsg is a Slack incoming-webhook body. text alone is enough for
// Slack-compatible receivers (Mattermost, Rocket.Chat...); Slack itself
// shows the blocks and uses text for notifications.
type slackMsg struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackMessage renders r: "[HIGH] rule-id: message" as text, and a
// section with the same plus a context line of the details that say who
// and where.
func slackMessage(r Record) slackMsg {
	level := strings.ToUpper(r.LogLevel)
	text := fmt.Sprintf("[%s] %s: %s", level, r.RuleID, r.Message)
	if r.KguardAction != "" {
		text += " (" + r.KguardAction + ")"
	}
	m := slackMsg{Text: slackEscape.Replace(text)}
	head := fmt.Sprintf("*%s* `%s`\n%s", level, slackEscape.Replace(r.RuleID), slackEscape.Replace(r.Message))
	m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(head, slackTextMax)}})
	var details []slackText
	add := func(name, v string) {
		// A context block holds at most 10 elements.
		if v != "" && len(details) < 10 {
			details = append(details, slackText{Type: "mrkdwn", Text: truncate("*"+slackEscape.Replace(name)+"*: "+slackEscape.Replace(v), slackTextMax)})
		}
	}
	add("user", r.UserName)
	add("as", r.EffectiveUser)
	add("source", r.SourceIP)
	add("namespace", r.Namespace)
	add("pod", r.Pod)
	add("container", r.ContainerID)
	add("process", r.CommandLine)
	if r.PID != 0 {
		add("pid", strconv.Itoa(r.PID))
	}
	add("action", r.KguardAction)
	add("ATT&CK", strings.Join(r.Techniques, ", "))
	add("time", r.Timestamp)
	if len(details) > 0 {
		m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: details})
	}
	return m
}

// slackTextMax is the longest text Slack accepts in a block.
const slackTextMax = 3000

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
